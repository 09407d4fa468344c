import { documentSecurity } from '@trustplane/kernel';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccountDeps } from '../../deps.js';
import * as auth from '../../identity/auth-service.js';
import { withSessionCookies } from '../cookies.js';
import { ACCOUNT_SECURITY } from '../openapi.js';
import { email, errorResponses, ok, originOf, sessionGrant } from '../schemas.js';
import { password } from './auth-schemas.js';

export function loginRoute(deps: AccountDeps) {
  return async (app: FastifyInstance) => {
    app.addHook('onRoute', documentSecurity(ACCOUNT_SECURITY.public));
    const routes = app.withTypeProvider<ZodTypeProvider>();
    routes.post(
      '/api/v1/auth/login',
      {
        config: { rateLimit: 'login' },
        schema: {
          tags: ['auth'],
          operationId: 'login',
          summary: 'Login',
          description:
            "Authenticate with email + password. Returns access + refresh tokens and the user's full organization list. Sets refresh + CSRF cookies. Brute-force protection: per-IP and per-account counters with progressive delay and lockout. **Rate limit:** 5 / minute / IP.",
          body: z.object({ email, password }),
          response: { 200: ok(sessionGrant), ...errorResponses },
        },
      },
      async (request, reply) => {
        const grant = await auth.login(deps, request.body, originOf(request));
        return { success: true as const, data: withSessionCookies(reply, deps.config, grant) };
      },
    );
  };
}
