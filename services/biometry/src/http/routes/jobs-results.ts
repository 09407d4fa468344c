import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { type BiometryDeps, principalOf } from '../deps.js';
import { apiKeyHeaders, errorDetailSchema, jobResultSchema, validationErrorSchema } from '../schemas.js';

const pollResponse = z.object({
  results: z.array(jobResultSchema),
  total_ready: z.number().int(),
  returned: z.number().int(),
  queue_depth: z.number().int(),
  workers_active: z.number().int(),
});

export function pollResultsRoute(deps: BiometryDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().get(
      '/jobs/results',
      {
        schema: {
          tags: ['jobs'],
          summary: 'Poll Results',
          description: 'Poll completed, unacknowledged results, oldest first. Results stay until acked.',
          operationId: 'poll_results_jobs_results_get',
          headers: apiKeyHeaders,
          querystring: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) }),
          response: { 200: pollResponse, 401: errorDetailSchema, 422: validationErrorSchema },
        },
      },
      async (request) => {
        const client = principalOf(request);
        const { results, totalReady } = await deps.jobs.readyResults(client.clientId, request.query.limit);
        return {
          results: results.map((result) => ({
            job_id: result.id,
            citizen_code: result.citizenCode,
            status: result.status,
            outcome: result.outcome,
            completed_at: result.completedAt.toISOString(),
            processing_time_ms: result.processingTimeMs,
            failure_reason: result.failureReason,
            cross_validations: result.crossValidations,
            scores: result.scores,
          })),
          total_ready: totalReady,
          returned: results.length,
          queue_depth: await deps.jobs.queueDepth(),
          workers_active: await deps.workers.countActive(),
        };
      },
    );
  };
}
