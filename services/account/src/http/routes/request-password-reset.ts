import { documentSecurity } from '@trustplane/kernel';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccountDeps } from '../../deps.js';
import * as auth from '../../identity/auth-service.js';
import { ACCOUNT_SECURITY } from '../openapi.js';
import { email, errorResponses, okNull } from '../schemas.js';

export function requestPasswordResetRoute(deps: AccountDeps) {
  return async (app: FastifyInstance) => {
    app.addHook('onRoute', documentSecurity(ACCOUNT_SECURITY.public));
    const routes = app.withTypeProvider<ZodTypeProvider>();
    routes.post(
      '/api/v1/auth/password-reset',
      {
        config: { rateLimit: 'register' },
        schema: {
          tags: ['auth'],
          operationId: 'requestPasswordReset',
          summary: 'Request password reset',
          description:
            'Initiate a password reset. Always returns success, even when the email is unknown, to prevent email enumeration. Generates a 1-hour JWT and emits an `email.requested` event with the reset link.',
          body: z.object({ email }),
          response: { 200: okNull, ...errorResponses },
        },
      },
      async (request) => {
        await auth.requestPasswordReset(deps, request.body.email);
        return { success: true as const, data: null };
      },
    );
  };
}
