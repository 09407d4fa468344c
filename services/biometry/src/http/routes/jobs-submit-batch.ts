import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { biometryBodyLimits } from '../body-limits.js';
import { type BiometryDeps, principalOf } from '../deps.js';
import { apiKeyHeaders, errorDetailSchema, submitJobSchema, validationErrorSchema } from '../schemas.js';
import { imageErrorToServiceError } from './jobs-submit.js';

export const MAX_BATCH_JOBS = 100;

const submitBatchResponse = z.object({
  batch_id: z.string(),
  job_ids: z.array(z.string()),
  total: z.number().int(),
  queued: z.number().int(),
  queue_depth: z.number().int(),
});

export function submitBatchRoute(deps: BiometryDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().post(
      '/jobs/submit-batch',
      {
        bodyLimit: biometryBodyLimits(deps.config).submitBatch,
        schema: {
          tags: ['jobs'],
          summary: 'Submit Batch',
          description: `Submit a batch of verification jobs (1 to ${MAX_BATCH_JOBS}; validated all-or-nothing).`,
          operationId: 'submit_batch_jobs_submit_batch_post',
          headers: apiKeyHeaders,
          body: z.object({ jobs: z.array(submitJobSchema).min(1).max(MAX_BATCH_JOBS) }),
          response: { 202: submitBatchResponse, 401: errorDetailSchema, 422: validationErrorSchema },
        },
      },
      async (request, reply) => {
        const client = principalOf(request);
        const batchId = `batch_${randomUUID().replace(/-/g, '')}`;
        const jobs = await deps.submitter
          .submit(client.clientId, request.body.jobs, batchId, (index) => ['body', 'jobs', index])
          .catch(imageErrorToServiceError);
        return reply.status(202).send({
          batch_id: batchId,
          job_ids: jobs.map((job) => job.jobId),
          total: request.body.jobs.length,
          queued: jobs.length,
          queue_depth: await deps.submitter.queueDepth(),
        });
      },
    );
  };
}
