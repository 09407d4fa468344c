import { documentSecurity } from '@trustplane/kernel';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccountDeps } from '../../deps.js';
import * as auth from '../../identity/auth-service.js';
import { ACCOUNT_SECURITY } from '../openapi.js';
import { email, errorResponses, ok } from '../schemas.js';

export function resendVerificationEmailRoute(deps: AccountDeps) {
  return async (app: FastifyInstance) => {
    app.addHook('onRoute', documentSecurity(ACCOUNT_SECURITY.public));
    const routes = app.withTypeProvider<ZodTypeProvider>();
    routes.post(
      '/api/v1/auth/resend-verification',
      {
        config: { rateLimit: 'register' },
        schema: {
          tags: ['auth'],
          operationId: 'resendVerificationEmail',
          summary: 'Resend verification email',
          description:
            'Re-emit the verification email for an unverified account. Always returns success regardless of whether the email exists, to avoid leaking account presence. **Rate limit:** 3 / minute / IP.',
          body: z.object({ email }),
          response: { 200: ok(z.object({ message: z.string() })), ...errorResponses },
        },
      },
      async (request) => {
        await auth.resendVerification(deps, request.body.email);
        return {
          success: true as const,
          data: {
            message: 'If the account exists and is unverified, a new verification email has been sent.',
          },
        };
      },
    );
  };
}
