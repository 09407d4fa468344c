import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { VerifactDeps } from '../../composition.js';
import { principalOf, meta, metaSchema } from '../auth.js';
import { errorResponses, idParams } from '../schemas.js';

const reportResponse = z.object({
  generatedAt: z.string(),
  claim: z.object({
    id: z.string(),
    claimNumber: z.string(),
    policyNumber: z.string(),
    claimType: z.string(),
    status: z.string(),
    district: z.string(),
    surveyorName: z.string(),
    insurerCode: z.string(),
    submittedAt: z.string(),
    siuFlagged: z.boolean(),
    siuReason: z.string().nullable(),
  }),
  summary: z.object({
    totalPhotos: z.number().int(),
    verified: z.number().int(),
    tampered: z.number().int(),
    unverified: z.number().int(),
    withGps: z.number().int(),
    hwAttested: z.number().int(),
    ntpSynced: z.number().int(),
    riskBand: z.enum(['low', 'review', 'high', 'very_high']),
    pilotScore: z.number().int().min(0).max(100),
    fraudIndicators: z.array(z.string()),
  }),
  verdict: z.string(),
  photos: z.array(
    z.object({
      id: z.string(),
      filename: z.string(),
      verifyStatus: z.string(),
      capturedAt: z.string().optional(),
      uploadedAt: z.string(),
      gps: z.object({ lat: z.number(), lon: z.number(), accuracy: z.number().optional() }).nullable(),
      device: z.object({
        model: z.string().nullable(),
        attestationType: z.string().nullable(),
        hwAttested: z.boolean(),
        ntpSynced: z.boolean().nullable(),
      }),
      riskScore: z.number().nullable(),
      flags: z.array(z.string()),
    }),
  ),
  _meta: metaSchema,
});

export function reportRoute(deps: VerifactDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().get(
      '/api/v1/report/:id',
      {
        schema: {
          tags: ['Reports'],
          summary: 'Get investigation report',
          operationId: 'getReport',
          params: idParams,
          response: { ...errorResponses(401, 403, 404, 429), 200: reportResponse },
        },
        config: {
          access: { operation: 'verifact.report.get', requirement: { scope: 'report' }, rateLimited: true },
        },
      },
      async (request) => ({
        ...(await deps.reports.report(principalOf(request).tenant, request.params.id)),
        _meta: meta(request),
      }),
    );
  };
}
