import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Kyc } from '../../kyc.js';
import { operatorOf } from '../auth-hooks.js';
import { errorResponses } from '../schemas.js';
import { sessionIdOf, sessionParams } from './session-params.js';

/**
 * Extension (not in the seed): the verification state of a session's audit trail, for the console's
 * timeline. Each event is checked as `trustplane kyc audit verify` checks the whole chain.
 */
export function getDashboardVerificationAuditChainRoute(kyc: Kyc) {
  return async (app: FastifyInstance) => {
    const api = app.withTypeProvider<ZodTypeProvider>();
    api.get(
      '/api/dashboard/verifications/:sessionId/audit-chain',
      {
        schema: {
          tags: ['Dashboard'],
          operationId: 'getDashboardVerificationAuditChain',
          summary: "Verify a session's audit trail against the hash chain",
          description:
            "Each of the session's audit events is checked: its `hash` must be the SHA-256 of its " +
            'content and `prevHash`, and `prevHash` must be the hash of the event before it in the ' +
            "platform-wide chain (which may be another tenant's: only the result is returned). " +
            '`intact` is false when any check fails; `brokenEventId` names the first such event.',
          'x-extension': true,
          params: sessionParams,
          response: {
            200: z.object({
              ok: z.literal(true),
              intact: z.boolean(),
              checked: z.number().int(),
              brokenEventId: z.uuid().nullable(),
              verifiedAt: z.string(),
              events: z.array(
                z.object({ id: z.uuid(), hash: z.string(), prevHash: z.string(), valid: z.boolean() }),
              ),
            }),
            ...errorResponses(401, 404, 503),
          },
        },
      },
      async (request, reply) => {
        reply.header('cache-control', 'no-store');
        const chain = await kyc.dashboard.auditChain(
          operatorOf(request).id,
          sessionIdOf(request.params.sessionId),
        );
        return { ok: true as const, ...chain };
      },
    );
  };
}
