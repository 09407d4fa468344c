import type { ServiceContext } from '@trustplane/kernel';
import type { FastifyInstance } from 'fastify';
import { renderVerifactError } from './errors.js';
import { healthRoutes } from './routes/health.js';

export async function buildVerifactApp(context: ServiceContext, version: string): Promise<FastifyInstance> {
  const app = await context.createHttpApp({
    title: 'Verifact Enterprise API',
    description: 'C2PA photo provenance for insurance claims.',
    version,
    renderError: renderVerifactError,
  });
  await app.register(healthRoutes(context, version));
  return app;
}
