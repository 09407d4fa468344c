import type { ServiceContext } from '@trustplane/kernel';
import type { FastifyInstance } from 'fastify';
import { renderNotificationError } from './errors.js';
import { healthRoutes } from './routes/health.js';

export async function buildNotificationApp(
  context: ServiceContext,
  version: string,
): Promise<FastifyInstance> {
  const app = await context.createHttpApp({
    title: 'Notification Service',
    description: 'Multi-channel async notifications (HTTP surface).',
    version,
    renderError: renderNotificationError,
  });
  await app.register(healthRoutes(context));
  return app;
}
