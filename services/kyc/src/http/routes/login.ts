import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Kyc } from '../../kyc.js';
import { SESSION_COOKIE } from '../auth-hooks.js';
import { errorResponses, userPublic } from '../schemas.js';
import { KYC_SECURITY } from '../openapi.js';

const loginBody = z.object({
  email: z.email().max(320),
  password: z.string().min(1).max(128),
  rememberDevice: z.boolean().default(false),
});

export function loginRoute(kyc: Kyc) {
  const secure = kyc.context.publicUrl.startsWith('https:');
  return async (app: FastifyInstance) => {
    const api = app.withTypeProvider<ZodTypeProvider>();
    api.post(
      '/api/auth/login',
      {
        schema: {
          tags: ['Auth'],
          operationId: 'login',
          summary: 'Sign in',
          security: KYC_SECURITY.public,
          description: 'Validates credentials and sets the httpOnly session cookie `kyc_session`.',
          body: loginBody,
          response: {
            200: z.object({ ok: z.literal(true), user: userPublic }),
            ...errorResponses(400, 401, 503),
          },
        },
      },
      async (request, reply) => {
        const { user, session } = await kyc.auth.login(request.body);
        reply.setCookie(SESSION_COOKIE, session.token, {
          signed: true,
          httpOnly: true,
          sameSite: 'lax',
          secure,
          path: '/',
          ...(session.cookieMaxAge ? { maxAge: session.cookieMaxAge } : {}),
        });
        return { ok: true as const, user };
      },
    );
  };
}
