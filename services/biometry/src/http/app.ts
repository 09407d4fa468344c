import type { FastifyInstance } from 'fastify';
import type { BiometryDeps } from './deps.js';
import { renderBiometryError } from './errors.js';
import { healthRoutes } from './routes/health.js';
import { ackResultsRoute } from './routes/jobs-ack.js';
import { pollResultsRoute } from './routes/jobs-results.js';
import { jobStatusRoute } from './routes/jobs-status.js';
import { submitJobRoute } from './routes/jobs-submit.js';
import { submitBatchRoute } from './routes/jobs-submit-batch.js';
import { metaRoutes } from './routes/meta.js';

export async function buildBiometryApp(deps: BiometryDeps): Promise<FastifyInstance> {
  const app = await deps.context.createHttpApp({
    title: 'OAuth Biometry Service',
    description: 'Scalable biometric verification service: face detection, OCR, cross-validation pipeline.',
    version: deps.version,
    renderError: renderBiometryError,
    // Three base64 images of up to 10 MB each per job.
    bodyLimit: deps.config.bodyLimitBytes,
  });
  await app.register(metaRoutes(deps));
  await app.register(healthRoutes(deps));
  // Everything under /jobs needs a service key; validation (422) runs first, as in FastAPI.
  await app.register(async (scope) => {
    scope.addHook('preHandler', async (request) => {
      const header = request.headers['x-service-api-key'];
      request.client = await deps.keys.authenticate(
        Array.isArray(header) ? (header[0] ?? '') : (header ?? ''),
      );
    });
    await scope.register(submitJobRoute(deps));
    await scope.register(submitBatchRoute(deps));
    await scope.register(pollResultsRoute(deps));
    await scope.register(ackResultsRoute(deps));
    await scope.register(jobStatusRoute(deps));
  });
  return app;
}
