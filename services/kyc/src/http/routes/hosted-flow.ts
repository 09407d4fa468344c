import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Kyc } from '../../kyc.js';
import { verificationToken } from '../auth-hooks.js';
import { errorResponses } from '../schemas.js';
import { sessionIdOf } from './session-params.js';

const params = z.object({ sessionId: z.string() });

/**
 * The hosted page's own routes beside the seed's session API (hidden from the OpenAPI document:
 * they serve this page only), authenticated by the session token like the rest of the flow:
 * `GET /verify/{id}/context` (branding, return URL, consent and "finished" state; answers for an
 * expired session too, so the page can send the user back), `POST /verify/{id}/consent` and
 * `POST /verify/{id}/submit` (recorded once each, with an audit event).
 */
export function hostedFlowRoutes(kyc: Kyc) {
  return async (app: FastifyInstance) => {
    const api = app.withTypeProvider<ZodTypeProvider>();
    api.get(
      '/verify/:sessionId/context',
      {
        schema: {
          hide: true,
          params,
          response: {
            200: z.object({
              ok: z.literal(true),
              organization: z.object({ displayName: z.string(), logoUrl: z.string().nullable() }),
              returnUrl: z.string().nullable(),
              expired: z.boolean(),
              consented: z.boolean(),
              submitted: z.boolean(),
            }),
            ...errorResponses(401, 404),
          },
        },
      },
      async (request, reply) => {
        const context = await kyc.hostedFlow.context(
          sessionIdOf(request.params.sessionId),
          verificationToken(request),
        );
        return reply.header('cache-control', 'no-store').send({ ok: true as const, ...context });
      },
    );
    for (const action of ['consent', 'submit'] as const) {
      api.post(
        `/verify/:sessionId/${action}`,
        {
          schema: {
            hide: true,
            params,
            response: { 200: z.object({ ok: z.literal(true) }), ...errorResponses(401, 404, 410) },
          },
        },
        async (request) => {
          await kyc.hostedFlow[action](sessionIdOf(request.params.sessionId), verificationToken(request));
          return { ok: true as const };
        },
      );
    }
  };
}
