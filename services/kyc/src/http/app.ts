import type { ServiceContext } from '@trustplane/kernel';
import type { FastifyInstance } from 'fastify';
import { renderKycError } from './errors.js';
import { healthRoutes } from './routes/health.js';

export async function buildKycApp(context: ServiceContext, version: string): Promise<FastifyInstance> {
  const app = await context.createHttpApp({
    title: 'KYC Verification Service API',
    description: 'Auth, health, and system APIs.',
    version,
    renderError: renderKycError,
  });
  await app.register(healthRoutes(context, version));
  return app;
}
