import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Kyc } from '../../kyc.js';
import {
  handleSignedValidation,
  VALIDATOR_PATH,
  VALIDATOR_SIGNATURE_HEADER,
} from '../../liveness/liveness-validator.js';
import { verificationToken, verificationTokenFirst } from '../auth-hooks.js';
import { KYC_BODY_LIMITS, MAX_TEXTURE_PATCH_CHARS } from '../body-limits.js';
import { apiError, errorResponses, uploadHeaders } from '../schemas.js';
import { sessionIdOf } from './verification.js';
import { KYC_SECURITY } from '../openapi.js';

const params = z.object({ sessionId: z.string() });
const MAX_VIDEO_BYTES = 25 * 1024 * 1024;

/** Not in the seed: the challenge bound to the request id (`init`'s extension field). */
const livenessChallenge = z
  .object({
    steps: z
      .array(
        z.object({
          action: z.enum(['turn_left', 'turn_right', 'blink']),
          windowStartMs: z.number().int(),
          windowEndMs: z.number().int(),
        }),
      )
      .describe(
        "Perform each action, in this order, inside its window (ms from the recording's first frame); the prompt for a step is due when its window opens. turn_left: the user's own left",
      ),
    recordingMs: z.number().int().describe('How long to record, ms'),
  })
  .describe(
    'Not in the seed: a random challenge, new for every requestId, kept on the server; the recording linked at complete must show it',
  );

export const presignVideoBody = z.object({
  token: z.string().min(1),
  requestId: z.uuid(),
  contentType: z.string().min(1).max(255),
  byteSize: z.number().int().min(1).max(MAX_VIDEO_BYTES),
});

export const livenessCompleteBody = z.object({
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

export function livenessRoutes(kyc: Kyc) {
  return async (app: FastifyInstance) => {
    const api = app.withTypeProvider<ZodTypeProvider>();
    api.post(
      '/api/verification/sessions/:sessionId/liveness/init',
      {
        // The token comes only in the header or the query: nothing to read before checking it.
        onRequest: verificationTokenFirst(kyc, { required: true }),
        schema: {
          tags: ['Verification'],
          operationId: 'initVerificationLiveness',
          summary: 'Mint liveness request id (anti-replay)',
          security: KYC_SECURITY.verificationToken,
          params,
          querystring: z.object({ token: z.string().optional() }),
          response: {
            201: z.object({ ok: z.literal(true), requestId: z.uuid(), challenge: livenessChallenge }),
            ...errorResponses(400, 401, 404, 410, 500, 503),
            429: apiError.describe(
              'LIVENESS_ATTEMPTS_EXCEEDED: the session has used its liveness attempts (KYC_LIVENESS_MAX_ATTEMPTS, default 5); RATE_LIMITED: the per-IP limit',
            ),
          },
        },
      },
      async (request, reply) => {
        const result = await kyc.liveness.init(
          sessionIdOf(request.params.sessionId),
          verificationToken(request),
        );
        return reply.status(201).send({ ok: true, ...result });
      },
    );
    api.post(
      '/api/verification/sessions/:sessionId/liveness/presign-video',
      {
        onRequest: verificationTokenFirst(kyc),
        bodyLimit: KYC_BODY_LIMITS.tokenInBody,
        schema: {
          tags: ['Verification'],
          operationId: 'presignVerificationLivenessVideo',
          summary: 'Presign PUT for optional liveness screen recording',
          security: KYC_SECURITY.verificationTokenInBody,
          params,
          body: presignVideoBody,
          response: {
            200: z.object({
              ok: z.literal(true),
              uploadUrl: z.string().min(1),
              s3Key: z.string().min(1),
              expiresInSeconds: z.number().int(),
              uploadHeaders: uploadHeaders,
            }),
            ...errorResponses(400, 401, 404, 410, 500, 503),
          },
        },
      },
      async (request) => ({
        ok: true as const,
        ...(await kyc.liveness.presignVideo(sessionIdOf(request.params.sessionId), request.body)),
      }),
    );
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
          params,
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

/**
 * The internal liveness validator, for deployments that point `LIVENESS_VALIDATOR_URL` at a
 * kyc instance. Only HMAC-signed requests (raw body) are served; anything else is 401.
 */
export function livenessValidatorRoute(kyc: Kyc) {
  return async (app: FastifyInstance) => {
    app.addContentTypeParser(
      'application/json',
      { parseAs: 'string', bodyLimit: 4 * 1024 * 1024 },
      (_request, body, done) => done(null, body),
    );
    const unsigned = (reply: FastifyReply) =>
      reply.status(401).send({ ok: false, error: 'UNAUTHENTICATED', message: 'Invalid validator signature' });
    const signatureOf = (request: FastifyRequest) => {
      const header = request.headers[VALIDATOR_SIGNATURE_HEADER];
      return Array.isArray(header) ? header[0] : header;
    };
    app.post(
      VALIDATOR_PATH,
      {
        schema: { hide: true },
        // The signature covers the body, so only its absence can be refused before reading it.
        onRequest: async (request, reply) => {
          if (!signatureOf(request)) return unsigned(reply.header('connection', 'close'));
        },
      },
      async (request, reply) => {
        const result = await handleSignedValidation(
          kyc.validatorSecret,
          String(request.body ?? ''),
          signatureOf(request),
          kyc.config.livenessSampleRateHz,
        ).catch(() => undefined);
        return result ?? unsigned(reply);
      },
    );
  };
}
