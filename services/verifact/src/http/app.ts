import fastifyMultipart from '@fastify/multipart';
import type { FastifyInstance } from 'fastify';
import type { VerifactDeps } from '../composition.js';
import { tenantKeyScope } from './auth.js';
import { renderVerifactError } from './errors.js';
import { attestationKeyRoute } from './routes/attestation-key.js';
import { healthRoutes } from './routes/health.js';
import { planRoute } from './routes/plan.js';
import { usageRoute } from './routes/usage.js';
import { verifyRoute } from './routes/verify.js';

export async function buildVerifactApp(deps: VerifactDeps): Promise<FastifyInstance> {
  const app = await deps.context.createHttpApp({
    title: 'Verifact Enterprise API',
    description: 'C2PA photo provenance for insurance claims.',
    version: deps.version,
    renderError: renderVerifactError,
    openapi: {
      components: {
        securitySchemes: {
          BearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'tm_<tier>_<secret>' },
        },
      },
    },
  });
  // Photos are read part by part with their own size limit (config.maxPhotoBytes).
  await app.register(fastifyMultipart, {
    limits: { fileSize: deps.config.maxPhotoBytes, files: 2, fields: 10 },
  });
  await app.register(healthRoutes(deps.context, deps.version));
  await app.register(attestationKeyRoute(deps));
  await app.register(
    tenantKeyScope(deps, async (scope) => {
      await scope.register(verifyRoute(deps));
      await scope.register(planRoute(deps));
      await scope.register(usageRoute(deps));
    }),
  );
  return app;
}
