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
    // The seed's server is `/api`: documented paths are relative to it, as in the seed.
    openapi: { servers: [{ url: `${context.publicUrl}/api` }] },
  });
  await app.register(healthRoutes(context, version));
  return app;
}
