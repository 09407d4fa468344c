import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Kyc } from '../../kyc.js';
import { verificationTokenFirst } from '../auth-hooks.js';
import { KYC_BODY_LIMITS, MAX_TEXTURE_PATCH_CHARS } from '../body-limits.js';
import { errorResponses } from '../schemas.js';

import { KYC_SECURITY } from '../openapi.js';
import { MAX_VIDEO_BYTES } from './liveness-schemas.js';
import { sessionIdOf, sessionParams } from './session-params.js';

const livenessCompleteBody = z.object({
  token: z.string().min(1),
  requestId: z.uuid(),
  challengeType: z.enum(['blink', 'head_turn']),
  greenChannelMean: z.array(z.number()).min(30).max(200),
  landmarksSummary: z.object({
    yawMin: z.number(),
    yawMax: z.number(),
    pitchMin: z.number(),
    pitchMax: z.number(),
    faceMotionVariance: z.number(),
    depthVarianceProxy: z.number(),
  }),
  // Base64 of a small image patch; bounded so one probe stays a small request.
  texturePatchB64: z.string().min(1).max(MAX_TEXTURE_PATCH_CHARS).nullable().optional(),
  videoS3Key: z.string().min(1).max(512).optional(),
  videoByteSize: z.number().int().min(1).max(MAX_VIDEO_BYTES).optional(),
  videoSha256: z
    .string()
    .regex(/^[a-fA-F0-9]{64}$/)
    .optional(),
});

export function completeVerificationLivenessRoute(kyc: Kyc) {
  return async (app: FastifyInstance) => {
    const api = app.withTypeProvider<ZodTypeProvider>();
    api.post(
      '/api/verification/sessions/:sessionId/liveness/complete',
      {
        onRequest: verificationTokenFirst(kyc),
        bodyLimit: KYC_BODY_LIMITS.livenessComplete,
        schema: {
          tags: ['Verification'],
          operationId: 'completeVerificationLiveness',
          summary: 'Submit probe payload and finalize liveness',
          security: KYC_SECURITY.verificationTokenInBody,
          params: sessionParams,
          body: livenessCompleteBody,
          response: {
            200: z.object({
              ok: z.literal(true),
              passed: z
                .boolean()
                .describe('True only when the server analysed the linked recording and every check passed'),
              confidenceScore: z.number(),
              failureCodes: z
                .array(z.string())
                .describe(
                  'The failed checks of the recording (never a threshold), VIDEO_MISSING (no recording: routed to review) or ANALYSIS_PENDING',
                ),
              status: z
                .enum(['passed', 'failed', 'pending', 'review'])
                .describe(
                  'Not in the seed. pending: the analysis of the recording outlasted the wait (KYC_LIVENESS_WAIT_SECONDS); the dashboard and the verification.completed webhook carry the verdict. review: no server verdict (no recording, or the analysis could not run); a person decides',
                ),
            }),
            ...errorResponses(400, 401, 404, 410, 500, 503),
          },
        },
      },
      async (request) => ({
        ok: true as const,
        ...(await kyc.liveness.complete(sessionIdOf(request.params.sessionId), request.body)),
      }),
    );
  };
}
