import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errors } from '../../errors.js';
import { type BiometryDeps, principalOf } from '../deps.js';
import { apiKeyHeaders, errorDetailSchema, validationErrorSchema } from '../schemas.js';

const jobStatusResponse = z.object({
  job_id: z.string(),
  status: z.enum(['queued', 'processing', 'completed', 'error']),
  citizen_code: z.string(),
  queued_at: z.string().nullable(),
  started_at: z.string().nullable(),
  worker_id: z.string().nullable(),
});

export function jobStatusRoute(deps: BiometryDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().get(
      '/jobs/:job_id',
      {
        schema: {
          tags: ['jobs'],
          summary: 'Get Job Status',
          description: 'Get status of a specific job (404 when it is not one of the caller’s).',
          operationId: 'get_job_status_jobs__job_id__get',
          headers: apiKeyHeaders,
          params: z.object({ job_id: z.string().max(200) }),
          response: {
            200: jobStatusResponse,
            401: errorDetailSchema,
            404: errorDetailSchema,
            422: validationErrorSchema,
          },
        },
      },
      async (request) => {
        const client = principalOf(request);
        const job = await deps.jobs.findForClient(request.params.job_id, client.clientId);
        if (!job) throw errors.job_not_found();
        return {
          job_id: job.id,
          status: job.status,
          citizen_code: job.citizenCode,
          queued_at: job.queuedAt.toISOString(),
          started_at: job.startedAt ? job.startedAt.toISOString() : null,
          worker_id: job.workerId,
        };
      },
    );
  };
}
