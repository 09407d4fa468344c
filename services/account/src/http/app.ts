import type { ServiceContext } from '@trustplane/kernel';
import type { FastifyInstance } from 'fastify';
import { renderAccountError } from './errors.js';
import { healthRoutes } from './routes/health.js';

export async function buildAccountApp(context: ServiceContext, version: string): Promise<FastifyInstance> {
  const app = await context.createHttpApp({
    title: 'Account Service',
    description: 'Authentication and RBAC source of truth.',
    version,
    renderError: renderAccountError,
  });
  await app.register(healthRoutes(context, version));
  return app;
}
