import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Kyc } from '../../kyc.js';
import { operatorOf } from '../auth-hooks.js';
import { dashboardLatestLiveness, dashboardSessionSummary, errorResponses } from '../schemas.js';

/** The console's filters (an extension of the seed's list, which takes no parameters). */
const listQuery = z.object({
  organizationId: z.uuid().optional(),
  reviewStatus: z.enum(['pending', 'approved', 'rejected', 'more_info_requested']).optional(),
  riskLabel: z.enum(['low', 'medium', 'high', 'none']).optional(),
  externalUserId: z.string().trim().min(1).max(255).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
  offset: z.coerce.number().int().min(0).max(100_000).optional(),
});

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
          description:
            'Requires authenticated session cookie. Returns each session with latest liveness attempt summary, ' +
            'newest first. Extension (not in the seed, used by the operator console): the optional query ' +
            'filters `organizationId`, `reviewStatus`, `riskLabel` (`none` = not yet labelled), ' +
            '`externalUserId` (case-insensitive substring), and `limit` (1–500, default 500) + `offset` ' +
            'paging, answered with `nextOffset` (null on the last page).',
          querystring: listQuery,
          response: {
            200: z.object({
              ok: z.literal(true),
              items: z.array(
                z.object({
                  session: dashboardSessionSummary,
                  latestLiveness: dashboardLatestLiveness.nullable(),
                }),
              ),
              nextOffset: z.number().int().nullable().meta({ 'x-extension': true }),
            }),
            ...errorResponses(400, 401, 503),
          },
        },
      },
      async (request) => ({
        ok: true as const,
        ...(await kyc.dashboard.list(operatorOf(request).id, request.query)),
      }),
    );
  };
}
