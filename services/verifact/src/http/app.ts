import fastifyMultipart from '@fastify/multipart';
import type { FastifyInstance } from 'fastify';
import type { VerifactDeps } from '../composition.js';
import { tenantKeyScope } from './auth.js';
import { renderVerifactError } from './errors.js';
import { attestationKeyRoute } from './routes/attestation-key.js';
import { createClaimRoute } from './routes/claims-create.js';
import { getClaimRoute } from './routes/claims-get.js';
import { listClaimsRoute } from './routes/claims-list.js';
import { updateClaimRoute } from './routes/claims-update.js';
import { healthRoutes } from './routes/health.js';
import { jobsRoute } from './routes/jobs.js';
import { downloadPhotoRoute } from './routes/photos-download.js';
import { uploadPhotoRoute } from './routes/photos-upload.js';
import { planRoute } from './routes/plan.js';
import { reportRoute } from './routes/report.js';
import { triageRoute } from './routes/triage-create.js';
import { getTriageRoute } from './routes/triage-get.js';
import { usageRoute } from './routes/usage.js';
import { createUserRoute } from './routes/users-create.js';
import { getUserRoute } from './routes/users-get.js';
import { listUsersRoute } from './routes/users-list.js';
import { updateUserRoute } from './routes/users-update.js';
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
          BearerAuth: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'API key — tm_<tier>_<prefix>',
            description: 'An API key (`trustplane verifact key create`). Never share it.',
          },
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
      for (const route of [
        verifyRoute,
        triageRoute,
        getTriageRoute,
        listClaimsRoute,
        createClaimRoute,
        getClaimRoute,
        updateClaimRoute,
        uploadPhotoRoute,
        downloadPhotoRoute,
        reportRoute,
        jobsRoute,
        usageRoute,
        planRoute,
        listUsersRoute,
        createUserRoute,
        getUserRoute,
        updateUserRoute,
      ]) {
        await scope.register(route(deps));
      }
    }),
  );
  return app;
}
