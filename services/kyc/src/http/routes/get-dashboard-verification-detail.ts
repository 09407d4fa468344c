import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Kyc } from '../../kyc.js';
import { operatorOf } from '../auth-hooks.js';
import { dashboardDetailOk, errorResponses } from '../schemas.js';
import { sessionIdOf, sessionParams } from './session-params.js';

export function getDashboardVerificationDetailRoute(kyc: Kyc) {
  return async (app: FastifyInstance) => {
    const api = app.withTypeProvider<ZodTypeProvider>();
    api.get(
      '/api/dashboard/verifications/:sessionId',
      {
        schema: {
          tags: ['Dashboard'],
          operationId: 'getDashboardVerificationDetail',
          summary: 'Verification session detail (dashboard)',
          params: sessionParams,
          response: { 200: dashboardDetailOk, ...errorResponses(401, 404, 503) },
        },
      },
      async (request, reply) => {
        reply.header('cache-control', 'no-store');
        const detail = await kyc.dashboard.detail(
          operatorOf(request).id,
          sessionIdOf(request.params.sessionId),
        );
        return { ok: true as const, ...detail };
      },
    );
  };
}
