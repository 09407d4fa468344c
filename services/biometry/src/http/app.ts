import { documentSecurity, firstHeaderValue } from '@trustplane/kernel';
import type { FastifyInstance } from 'fastify';
import { errors } from '../errors.js';
import { type BiometryDeps, clients } from './deps.js';
import { renderBiometryError } from './errors.js';
import { BIOMETRY_SECURITY_SCHEMES, SERVICE_KEY_SECURITY } from './openapi.js';
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
    openapi: { components: { securitySchemes: BIOMETRY_SECURITY_SCHEMES } },
    // The job routes raise their own limits (./body-limits.ts); nothing else takes a body.
  });
  await app.register(metaRoutes(deps));
  await app.register(healthRoutes(deps));
  // Everything under /jobs needs a service key, checked before the body is read: a caller
  // without a valid key gets its 422/401 at once, whatever it is still sending.
  await app.register(async (scope) => {
    scope.addHook('onRoute', documentSecurity(SERVICE_KEY_SECURITY));
    scope.addHook('onRequest', async (request) => {
      const presented = firstHeaderValue(request.headers['x-service-api-key']);
      if (presented === undefined) throw errors.missing_api_key();
      clients.set(request, await deps.keys.authenticate(presented));
    });
    await scope.register(submitJobRoute(deps));
    await scope.register(submitBatchRoute(deps));
    await scope.register(pollResultsRoute(deps));
    await scope.register(ackResultsRoute(deps));
    await scope.register(jobStatusRoute(deps));
  });
  return app;
}
