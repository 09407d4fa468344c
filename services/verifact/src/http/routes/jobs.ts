import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { VerifactDeps } from '../../composition.js';
import { principalOf, meta, metaSchema } from '../auth.js';
import { errorResponses } from '../schemas.js';

const jobsResponse = z.object({
  surveyorId: z.string(),
  tenant: z.string(),
  syncedAt: z.string(),
  jobs: z.array(
    z.object({
      jobId: z.string(),
      claimId: z.string(),
      claimNumber: z.string(),
      policyNumber: z.string(),
      claimType: z.string(),
      district: z.string(),
      description: z.string(),
      insurerCode: z.string(),
      assignedAt: z.string(),
      expiresAt: z.string(),
      status: z.string(),
      photosSubmitted: z.number().int(),
      gpsLat: z.number().nullable(),
      gpsLon: z.number().nullable(),
    }),
  ),
  _meta: metaSchema,
});

export function jobsRoute(deps: VerifactDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().get(
      '/api/v1/jobs',
      {
        schema: {
          tags: ['Jobs'],
          summary: 'Get surveyor job queue',
          operationId: 'getSurveyorJobs',
          querystring: z.object({ surveyorId: z.string().min(1).max(64) }),
          response: { ...errorResponses(400, 401, 403, 429), 200: jobsResponse },
        },
        config: {
          access: { operation: 'verifact.jobs.get', requirement: { scope: 'jobs' }, rateLimited: true },
        },
      },
      async (request) => ({
        ...(await deps.reports.jobs(principalOf(request).tenant, request.query.surveyorId)),
        _meta: meta(request),
      }),
    );
  };
}
