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
  // Extension (the console sends it): the review status the operator decided from.
  expectedReviewStatus: z
    .enum(['pending', 'approved', 'rejected', 'more_info_requested'])
    .optional()
    .meta({ 'x-extension': true }),
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
          description:
            'Persists decision, audit row, and optionally POSTs to `VERIFICATION_OUTCOME_WEBHOOK_URL`. ' +
            'Extension (not in the seed): `expectedReviewStatus`, the status the operator decided from; ' +
            'when another review changed it meanwhile the decision is refused with 409 `REVIEW_CONFLICT` ' +
            'and nothing changes.',
          params: sessionParams,
          body: reviewBody,
          response: {
            200: z.object({ ok: z.literal(true), reviewStatus: z.string() }),
            ...errorResponses(400, 401, 404, 409, 500, 503),
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
