import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Kyc } from '../../kyc.js';
import { SESSION_COOKIE, sessionToken } from '../auth-hooks.js';
import { KYC_SECURITY } from '../openapi.js';

export function logoutRoute(kyc: Kyc) {
  const secure = kyc.context.publicUrl.startsWith('https:');
  return async (app: FastifyInstance) => {
    const api = app.withTypeProvider<ZodTypeProvider>();
    api.post(
      '/api/auth/logout',
      {
        schema: {
          tags: ['Auth'],
          operationId: 'logout',
          summary: 'Sign out',
          security: KYC_SECURITY.operatorOptional,
          response: { 200: z.object({ ok: z.literal(true) }) },
        },
      },
      async (request, reply) => {
        await kyc.auth.logout(sessionToken(request));
        reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'lax', secure });
        return { ok: true as const };
      },
    );
  };
}
