import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Kyc } from '../../kyc.js';
import { SESSION_COOKIE, sessionToken } from '../auth-hooks.js';
import { errorResponses, userPublic } from '../schemas.js';
import { KYC_SECURITY } from '../openapi.js';

export const signupBody = z.object({
  fullName: z.string().trim().min(1).max(120),
  email: z.email().max(320),
  password: z.string().min(8).max(128),
  acceptedTerms: z.literal(true, { error: 'You must accept the terms' }),
});

export const loginBody = z.object({
  email: z.email().max(320),
  password: z.string().min(1).max(128),
  rememberDevice: z.boolean().default(false),
});

export function authRoutes(kyc: Kyc) {
  const secure = kyc.context.publicUrl.startsWith('https:');
  return async (app: FastifyInstance) => {
    const api = app.withTypeProvider<ZodTypeProvider>();

    api.post(
      '/api/auth/signup',
      {
        schema: {
          tags: ['Auth'],
          operationId: 'signup',
          summary: 'Register account',
          security: KYC_SECURITY.public,
          body: signupBody,
          response: {
            201: z.object({ ok: z.literal(true), user: userPublic }),
            ...errorResponses(400, 409, 500, 503),
          },
        },
      },
      async (request, reply) => {
        const user = await kyc.auth.signup(request.body);
        return reply.status(201).send({ ok: true, user });
      },
    );

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
