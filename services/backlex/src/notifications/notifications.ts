import type { NotificationRepository, NotificationRow } from '../db/notification-repository.js';
import { errors } from '../errors.js';

export const DEFAULT_NOTIFICATION_LIMIT = 20;
export const MAX_NOTIFICATION_LIMIT = 100;

/** The `Notification` object (the seed's is open; fields fixed in the README). */
export interface NotificationView {
  id: string;
  type: string;
  title: string;
  body: string;
  data: Record<string, unknown>;
  eventId: string;
  read: boolean;
  readAt: string | null;
  createdAt: string;
}

function toView(row: NotificationRow): NotificationView {
  return {
    id: row.id,
    type: row.type,
    title: row.title,
    body: row.body,
    data: row.data,
    eventId: row.event_id,
    read: row.read_at !== null,
    readAt: row.read_at?.toISOString() ?? null,
    createdAt: row.created_at.toISOString(),
  };
}

/** A member's own notifications: each recipient has its own row, so read state is per member. */
export function createNotifications(repository: NotificationRepository) {
  return {
    async list(
      orgId: string,
      userId: string,
      limit = DEFAULT_NOTIFICATION_LIMIT,
    ): Promise<NotificationView[]> {
      return (await repository.list(orgId, userId, limit)).map(toView);
    },
    /** Idempotent: reading a read notification keeps its first `readAt`. Another member's id → 404. */
    async markRead(orgId: string, userId: string, id: string): Promise<void> {
      const found = /^[0-9a-f-]{36}$/i.test(id) && (await repository.markRead(orgId, userId, id));
      if (!found) throw errors.NOT_FOUND('Notification not found');
    },
    /** Idempotent; returns how many were unread. */
    markAllRead(orgId: string, userId: string): Promise<number> {
      return repository.markAllRead(orgId, userId);
    },
  };
}

export type Notifications = ReturnType<typeof createNotifications>;
