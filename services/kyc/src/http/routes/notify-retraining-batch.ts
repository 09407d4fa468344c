import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Kyc } from '../../kyc.js';
import { operatorOf } from '../auth-hooks.js';
import { errorResponses } from '../schemas.js';

const retrainingBody = z.object({
  sessionIds: z.array(z.uuid()).min(1).max(500),
  note: z.string().max(2000).optional(),
});

export function notifyRetrainingBatchRoute(kyc: Kyc) {
  return async (app: FastifyInstance) => {
    const api = app.withTypeProvider<ZodTypeProvider>();
    api.post(
      '/api/dashboard/retraining/notify',
      {
        schema: {
          tags: ['Dashboard'],
          operationId: 'notifyRetrainingBatch',
          summary: 'Record false-positive batch for external ML pipeline (stub)',
          body: retrainingBody,
          response: {
            200: z.object({ ok: z.literal(true), recorded: z.boolean(), sessionCount: z.number().int() }),
            ...errorResponses(400, 401, 500, 503),
          },
        },
      },
      async (request) => ({
        ok: true as const,
        ...(await kyc.dashboard.notifyRetraining(operatorOf(request).id, request.body)),
      }),
    );
  };
}
