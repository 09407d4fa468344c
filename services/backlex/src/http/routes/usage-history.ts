import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { BacklexDeps } from '../../composition.js';
import { errorResponses, slugParams } from '../schemas.js';
import { orgAccessOf } from '../session.js';
import { usageHistorySchema } from '../usage-schemas.js';

export function usageHistoryRoute(deps: BacklexDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().get(
      '/api/org/:slug/usage/history',
      {
        schema: {
          tags: ['Organization'],
          summary: 'Durable usage history (incl. deleted projects)',
          operationId: 'getUsageHistory',
          description:
            'Every member. The last 90 UTC days, today included, oldest first: per day the totals and each project with a row that day, deleted projects included (`projects` names them, with `deletedAt`).',
          params: slugParams,
          response: { ...errorResponses, 200: usageHistorySchema },
        },
        config: { orgOperation: 'usage.history' },
      },
      async (request) => deps.usage.usage.history(orgAccessOf(request)),
    );
  };
}
