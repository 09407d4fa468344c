import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errors } from '../../errors.js';
import { ImageValidationError } from '../../jobs/submit-jobs.js';
import { biometryBodyLimits } from '../body-limits.js';
import { type BiometryDeps, principalOf } from '../deps.js';
import { apiKeyHeaders, errorDetailSchema, submitJobSchema, validationErrorSchema } from '../schemas.js';

export const submitJobResponse = z.object({
  job_id: z.string(),
  status: z.literal('queued'),
  queue_position: z.number().int(),
  estimated_wait_seconds: z.number().int(),
});

export function imageErrorToServiceError(error: unknown): never {
  if (error instanceof ImageValidationError) {
    throw errors.invalid_image(error.details);
  }
  throw error;
}

export function submitJobRoute(deps: BiometryDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().post(
      '/jobs/submit',
      {
        bodyLimit: biometryBodyLimits(deps.config).submit,
        schema: {
          tags: ['jobs'],
          summary: 'Submit Job',
          description: 'Submit a single verification job (fire-and-forget).',
          operationId: 'submit_job_jobs_submit_post',
          headers: apiKeyHeaders,
          body: submitJobSchema,
          response: { 202: submitJobResponse, 401: errorDetailSchema, 422: validationErrorSchema },
        },
      },
      async (request, reply) => {
        const client = principalOf(request);
        const [job] = await deps.submitter
          .submit(client.clientId, [request.body], null, () => ['body'])
          .catch(imageErrorToServiceError);
        if (!job) throw new Error('no job submitted');
        return reply.status(202).send({
          job_id: job.jobId,
          status: 'queued' as const,
          queue_position: job.queuePosition,
          estimated_wait_seconds: job.estimatedWaitSeconds,
        });
      },
    );
  };
}
