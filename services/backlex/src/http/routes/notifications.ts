import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { BacklexDeps } from '../../composition.js';
import { errors } from '../../errors.js';
import { DEFAULT_NOTIFICATION_LIMIT, MAX_NOTIFICATION_LIMIT } from '../../notifications/notifications.js';
import { errorResponses, okSchema, slugParams } from '../schemas.js';
import { orgAccessOf } from '../session.js';
import { orgItemParams } from './webhooks-delete.js';

/** The `Notification` object (fields fixed in the README). */
const notificationSchema = z.object({
  id: z.string(),
  type: z.string(),
  title: z.string(),
  body: z.string(),
  data: z.record(z.string(), z.unknown()),
  eventId: z.string(),
  read: z.boolean(),
  readAt: z.string().nullable(),
  createdAt: z.string(),
});

/** Notifications are a person's: an API key has none (403). */
function recipientOf(request: FastifyRequest): { orgId: string; userId: string } {
  const access = orgAccessOf(request);
  if (access.principal.kind !== 'user')
    throw errors.FORBIDDEN('Notifications belong to people, not API keys');
  return { orgId: access.org.id, userId: access.principal.userId };
}

/** `GET /notifications`, `POST /notifications/{id}/read`, `POST /notifications/read-all`. */
export function notificationRoutes(deps: BacklexDeps) {
  return async (app: FastifyInstance) => {
    const typed = app.withTypeProvider<ZodTypeProvider>();
    typed.get(
      '/api/org/:slug/notifications',
      {
        schema: {
          tags: ['Integrations'],
          summary: 'List notifications',
          operationId: 'listNotifications',
          description: 'The caller’s notifications, newest first; `limit` 1–100 (default 20).',
          params: slugParams,
          querystring: z.object({
            limit: z
              .string()
              .regex(/^\d{1,3}$/, 'must be an integer from 1 to 100')
              .transform(Number)
              .refine(
                (value) => value >= 1 && value <= MAX_NOTIFICATION_LIMIT,
                'must be an integer from 1 to 100',
              )
              .optional(),
          }),
          response: { ...errorResponses, 200: z.object({ notifications: z.array(notificationSchema) }) },
        },
        config: { orgOperation: 'notifications.list' },
      },
      async (request) => {
        const { orgId, userId } = recipientOf(request);
        return {
          notifications: await deps.events.notifications.list(
            orgId,
            userId,
            request.query.limit ?? DEFAULT_NOTIFICATION_LIMIT,
          ),
        };
      },
    );
    typed.post(
      '/api/org/:slug/notifications/:id/read',
      {
        schema: {
          tags: ['Integrations'],
          summary: 'Mark a notification read',
          operationId: 'markNotificationRead',
          description: 'Idempotent. Another member’s notification is 404.',
          params: orgItemParams,
          response: { ...errorResponses, 200: okSchema },
        },
        config: { orgOperation: 'notifications.read' },
      },
      async (request) => {
        const { orgId, userId } = recipientOf(request);
        await deps.events.notifications.markRead(orgId, userId, request.params.id);
        return { ok: true };
      },
    );
    typed.post(
      '/api/org/:slug/notifications/read-all',
      {
        schema: {
          tags: ['Integrations'],
          summary: 'Mark all notifications read',
          operationId: 'markAllNotificationsRead',
          description: 'Idempotent.',
          params: slugParams,
          response: { ...errorResponses, 200: okSchema },
        },
        config: { orgOperation: 'notifications.readAll' },
      },
      async (request) => {
        const { orgId, userId } = recipientOf(request);
        await deps.events.notifications.markAllRead(orgId, userId);
        return { ok: true };
      },
    );
  };
}
