import type { Database } from '@trustplane/kernel';
import type { NotificationDatabase } from '../db/schema.js';
import { DELIVERY_QUEUE } from '../queue/names.js';
import { notificationErrors } from './errors.js';
import type { Intake } from './intake.js';
import type { Notifications } from './notifications.js';

export interface DeadLetterView {
  id: string;
  notification_id: string | null;
  message_id: string | null;
  source_queue: string;
  reason: string;
  attempts: number;
  payload: unknown;
  created_at: string;
}

function visible(payload: unknown): unknown {
  if (!payload || typeof payload !== 'object') return payload;
  const { sealed_token: _sealed, _bus: _envelope, ...rest } = payload as Record<string, unknown>;
  return rest;
}

/** `notification.events.dlq` for operators: list, replay (once), purge. */
export class DeadLetters {
  constructor(
    private readonly db: Database<NotificationDatabase>,
    private readonly notifications: Notifications,
    private readonly intake: Intake,
  ) {}

  async list(limit = 100): Promise<DeadLetterView[]> {
    const rows = await this.db.kysely
      .selectFrom('dead_letters')
      .selectAll()
      .where('replayed_at', 'is', null)
      .orderBy('created_at')
      .orderBy('id')
      .limit(Math.min(Math.max(limit, 1), 10_000))
      .execute();
    return rows.map((row) => ({
      id: row.id,
      notification_id: row.notification_id,
      message_id: row.message_id,
      source_queue: row.source_queue,
      reason: row.reason,
      attempts: row.attempts,
      payload: visible(row.payload),
      created_at: row.created_at.toISOString(),
    }));
  }

  /** Replays one dead letter (or every pending one): a failed notification gets a fresh budget; a rejected message is processed again. */
  async replay(id: string | undefined): Promise<{ replayed: string[] }> {
    const ids = id ? [id] : (await this.list(10_000)).map((entry) => entry.id);
    if (id !== undefined && !/^dlq_[0-9A-HJKMNP-TV-Z]{26}$/.test(id))
      throw notificationErrors.invalidArgument('id', 'must look like dlq_<ULID>');
    const replayed: string[] = [];
    for (const entry of ids) {
      const row = await this.db.kysely
        .selectFrom('dead_letters')
        .selectAll()
        .where('id', '=', entry)
        .executeTakeFirst();
      if (!row) throw notificationErrors.notFound(`dead letter ${entry} not found`);
      if (row.replayed_at)
        throw notificationErrors.failedPrecondition(`dead letter ${entry} was already replayed`);
      if (row.notification_id && row.source_queue === DELIVERY_QUEUE) {
        await this.notifications.retry(row.notification_id, { deadLetterId: row.id });
      } else {
        await this.intake.replay(row);
      }
      replayed.push(entry);
    }
    return { replayed };
  }

  async purge(id: string | undefined): Promise<{ purged: number }> {
    let query = this.db.kysely.deleteFrom('dead_letters').where('replayed_at', 'is', null);
    if (id) query = query.where('id', '=', id);
    const removed = await query.returning('id').execute();
    if (id && removed.length === 0) throw notificationErrors.notFound(`dead letter ${id} not found`);
    return { purged: removed.length };
  }
}
