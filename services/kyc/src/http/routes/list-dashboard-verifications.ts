import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Kyc } from '../../kyc.js';
import { operatorOf } from '../auth-hooks.js';
import { dashboardLatestLiveness, dashboardSessionSummary, errorResponses } from '../schemas.js';

export function listDashboardVerificationsRoute(kyc: Kyc) {
  return async (app: FastifyInstance) => {
    const api = app.withTypeProvider<ZodTypeProvider>();
    api.get(
      '/api/dashboard/verifications',
      {
        schema: {
          tags: ['Dashboard'],
          operationId: 'listDashboardVerifications',
          summary: 'List verification sessions (dashboard)',
          response: {
            200: z.object({
              ok: z.literal(true),
              items: z.array(
                z.object({
                  session: dashboardSessionSummary,
                  latestLiveness: dashboardLatestLiveness.nullable(),
                }),
              ),
            }),
            ...errorResponses(401, 503),
          },
        },
      },
      async (request) => ({ ok: true as const, items: await kyc.dashboard.list(operatorOf(request).id) }),
    );
  };
}
