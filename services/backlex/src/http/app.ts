import type { ServiceContext } from '@trustplane/kernel';
import type { FastifyInstance } from 'fastify';
import { renderBacklexError } from './errors.js';
import { healthRoutes } from './routes/health.js';

export async function buildBacklexApp(context: ServiceContext, version: string): Promise<FastifyInstance> {
  const app = await context.createHttpApp({
    title: 'backlex Cloud API',
    description: 'Control-plane REST API.',
    version,
    renderError: renderBacklexError,
  });
  await app.register(healthRoutes(context, version));
  return app;
}
