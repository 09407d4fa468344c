import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { BacklexDeps } from '../../composition.js';
import { errorResponses, slugParams } from '../schemas.js';
import { orgAccessOf } from '../session.js';
import { usageSchema } from '../usage-schemas.js';

export function getUsageRoute(deps: BacklexDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().get(
      '/api/org/:slug/usage',
      {
        schema: {
          tags: ['Organization'],
          summary: 'Org resource usage snapshot',
          operationId: 'getUsage',
          description:
            "Every member. The current billing period (the subscription's, else the calendar month, UTC) against the allowance: the plan's plus what packs add (`topups`). `requests` summed over the period (deleted projects included); `d1` (bytes of the live projects' files and their branches) and `r2` (bytes of their stored backups and exports) at the newest sample; `neurons` 0. Request counts reach it within one flush (5 s).",
          params: slugParams,
          response: { ...errorResponses, 200: usageSchema },
        },
        config: { orgOperation: 'usage.get' },
      },
      async (request) => deps.usage.usage.view(orgAccessOf(request)),
    );
  };
}
