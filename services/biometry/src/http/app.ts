import type { ServiceContext } from '@trustplane/kernel';
import type { FastifyInstance } from 'fastify';
import { renderBiometryError } from './errors.js';
import { healthRoutes } from './routes/health.js';

export async function buildBiometryApp(context: ServiceContext, version: string): Promise<FastifyInstance> {
  const app = await context.createHttpApp({
    title: 'OAuth Biometry Service',
    description: 'Scalable biometric verification service: face detection, OCR, cross-validation pipeline.',
    version,
    renderError: renderBiometryError,
  });
  await app.register(healthRoutes(context, version));
  return app;
}
