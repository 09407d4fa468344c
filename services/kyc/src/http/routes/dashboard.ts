import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errors } from '../../errors.js';
import type { Kyc } from '../../kyc.js';
import { operatorOf } from '../auth-hooks.js';
import {
  dashboardDetailOk,
  dashboardLatestLiveness,
  dashboardSessionSummary,
  errorResponses,
  isUuid,
} from '../schemas.js';

const sessionParams = z.object({ sessionId: z.string() });
const assetParams = z.object({ sessionId: z.string(), assetId: z.string() });

export const reviewBody = z.object({
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

export const retrainingBody = z.object({
  sessionIds: z.array(z.uuid()).min(1).max(500),
  note: z.string().max(2000).optional(),
});

const sessionId = (id: string) => {
  if (!isUuid(id)) throw errors.VERIFICATION_SESSION_NOT_FOUND();
  return id;
};

export function dashboardRoutes(kyc: Kyc) {
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
          sessionId(request.params.sessionId),
        );
        return { ok: true as const, ...detail };
      },
    );
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
          sessionId(request.params.sessionId),
          request.body,
        );
        return { ok: true as const, ...result };
      },
    );
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
        const id = sessionId(request.params.sessionId);
        if (!isUuid(request.params.assetId)) {
          await kyc.dashboard.visibleSession(operatorOf(request).id, id);
          throw errors.VERIFICATION_ASSET_NOT_FOUND();
        }
        const result = await kyc.dashboard.reanalyze(operatorOf(request).id, id, request.params.assetId);
        return { ok: true as const, ...result };
      },
    );
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
