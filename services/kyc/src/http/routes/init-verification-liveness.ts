import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Kyc } from '../../kyc.js';
import { verificationToken, verificationTokenFirst } from '../auth-hooks.js';
import { apiError, errorResponses } from '../schemas.js';

import { KYC_SECURITY } from '../openapi.js';
import { sessionIdOf, sessionParams } from './session-params.js';

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

export function initVerificationLivenessRoute(kyc: Kyc) {
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
          params: sessionParams,
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
  };
}
