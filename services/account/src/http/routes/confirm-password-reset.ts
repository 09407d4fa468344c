import { documentSecurity } from '@trustplane/kernel';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccountDeps } from '../../deps.js';
import * as auth from '../../identity/auth-service.js';
import { ACCOUNT_SECURITY } from '../openapi.js';
import { errorResponses, ok, originOf } from '../schemas.js';
import { password } from './auth-schemas.js';

export function confirmPasswordResetRoute(deps: AccountDeps) {
  return async (app: FastifyInstance) => {
    app.addHook('onRoute', documentSecurity(ACCOUNT_SECURITY.public));
    const routes = app.withTypeProvider<ZodTypeProvider>();
    routes.post(
      '/api/v1/auth/password-reset/confirm',
      {
        schema: {
          tags: ['auth'],
          operationId: 'confirmPasswordReset',
          summary: 'Confirm password reset',
          description:
            'Complete a password reset using the JWT from the email link. Validates the token (signature + jti not previously used), updates the password hash, and revokes all sessions for the account.',
          body: z.object({
            token: z.string({ error: 'is required' }).min(1).max(8192),
            new_password: password,
          }),
          response: { 200: ok(z.object({ success: z.literal(true) })), ...errorResponses },
        },
      },
      async (request) => {
        await auth.confirmPasswordReset(deps, request.body, originOf(request));
        return { success: true as const, data: { success: true as const } };
      },
    );
  };
}
