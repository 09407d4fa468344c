import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Kyc } from '../../kyc.js';
import { operatorOf } from '../auth-hooks.js';
import { errorResponses } from '../schemas.js';
import { sessionIdOf } from './session-params.js';

const assetParams = z.object({ sessionId: z.string(), assetId: z.string() });

export function reanalyzeDashboardVerificationAssetRoute(kyc: Kyc) {
  return async (app: FastifyInstance) => {
    const api = app.withTypeProvider<ZodTypeProvider>();
    api.post(
      '/api/dashboard/verifications/:sessionId/assets/:assetId/reanalyze',
      {
        schema: {
          tags: ['Dashboard'],
          operationId: 'reanalyzeDashboardVerificationAsset',
          summary: 'Re-run document analysis for one asset',
          params: assetParams,
          response: {
            200: z.object({ ok: z.literal(true), assetId: z.uuid() }),
            ...errorResponses(401, 404, 500, 503),
          },
        },
      },
      async (request) => {
        const result = await kyc.dashboard.reanalyze(
          operatorOf(request).id,
          sessionIdOf(request.params.sessionId),
          request.params.assetId,
        );
        return { ok: true as const, ...result };
      },
    );
  };
}
