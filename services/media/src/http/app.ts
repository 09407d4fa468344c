import type { ServiceContext } from '@trustplane/kernel';
import type { FastifyInstance } from 'fastify';
import { renderMediaError } from './errors.js';
import { healthRoutes } from './routes/health.js';

export async function buildMediaApp(context: ServiceContext, version: string): Promise<FastifyInstance> {
  const app = await context.createHttpApp({
    title: 'Media Service',
    description: 'File upload, download, metadata.',
    version,
    renderError: renderMediaError,
  });
  await app.register(healthRoutes);
  return app;
}
