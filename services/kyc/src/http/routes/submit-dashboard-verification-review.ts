import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Kyc } from '../../kyc.js';
import { operatorOf } from '../auth-hooks.js';
import { errorResponses } from '../schemas.js';
import { sessionIdOf, sessionParams } from './session-params.js';

const reviewBody = z.object({
  decision: z.enum(['approve', 'reject', 'request_more_info']),
  rationale: z.string().trim().min(10).max(4000),
  manualMrzLine1: z.string().min(20).max(120).optional(),
  manualMrzLine2: z.string().min(20).max(120).optional(),
  overrideReason: z
    .enum([
      'ocr_skew_or_glare',
      'image_quality_recoverable',
      'system_false_positive',
      'operator_verified_physically',
      'other',
    ])
    .optional(),
});

export function submitDashboardVerificationReviewRoute(kyc: Kyc) {
  return async (app: FastifyInstance) => {
    const api = app.withTypeProvider<ZodTypeProvider>();
    api.post(
      '/api/dashboard/verifications/:sessionId/review',
      {
        schema: {
          tags: ['Dashboard'],
          operationId: 'submitDashboardVerificationReview',
          summary: 'Manual approve or reject',
          params: sessionParams,
          body: reviewBody,
          response: {
            200: z.object({ ok: z.literal(true), reviewStatus: z.string() }),
            ...errorResponses(400, 401, 404, 500, 503),
          },
        },
      },
      async (request) => {
        const result = await kyc.dashboard.review(
          operatorOf(request).id,
          sessionIdOf(request.params.sessionId),
          request.body,
        );
        return { ok: true as const, ...result };
      },
    );
  };
}
