import type { FastifyInstance } from 'fastify';
import type { NotificationRuntime } from '../service.js';
import { renderNotificationError } from './errors.js';
import { healthRoutes } from './routes/health.js';

export async function buildNotificationApp(
  runtime: NotificationRuntime,
  version: string,
): Promise<FastifyInstance> {
  const app = await runtime.context.createHttpApp({
    title: 'Notification Service',
    description: 'Multi-channel async notifications (HTTP surface: health; the API is gRPC on 13051).',
    version,
    renderError: renderNotificationError,
  });
  await app.register(healthRoutes(runtime));
  return app;
}
