import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { biometryBodyLimits } from '../body-limits.js';
import { type BiometryDeps, principalOf } from '../deps.js';
import { apiKeyHeaders, errorDetailSchema, validationErrorSchema } from '../schemas.js';

export function ackResultsRoute(deps: BiometryDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().post(
      '/jobs/ack',
      {
        bodyLimit: biometryBodyLimits(deps.config).ack,
        schema: {
          tags: ['jobs'],
          summary: 'Ack Results',
          description:
            'Acknowledge processed results: they leave the results queue and are purged after the retention.',
          operationId: 'ack_results_jobs_ack_post',
          headers: apiKeyHeaders,
          body: z.object({ job_ids: z.array(z.string().max(200)).max(1000) }),
          response: {
            200: z.object({ acked: z.number().int(), not_found: z.number().int() }),
            401: errorDetailSchema,
            422: validationErrorSchema,
          },
        },
      },
      async (request) => {
        const client = principalOf(request);
        const unique = [...new Set(request.body.job_ids)];
        const acked = await deps.jobs.ack(client.clientId, unique);
        return { acked, not_found: request.body.job_ids.length - acked };
      },
    );
  };
}
