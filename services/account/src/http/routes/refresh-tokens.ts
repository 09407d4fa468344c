import { documentSecurity } from '@trustplane/kernel';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccountDeps } from '../../deps.js';
import { errors } from '../../errors.js';
import * as auth from '../../identity/auth-service.js';
import { REFRESH_COOKIE, requestCookie, withSessionCookies } from '../cookies.js';
import { ACCOUNT_SECURITY } from '../openapi.js';
import { errorResponses, ok, originOf, sessionGrant } from '../schemas.js';

export function refreshTokensRoute(deps: AccountDeps) {
  return async (app: FastifyInstance) => {
    app.addHook('onRoute', documentSecurity(ACCOUNT_SECURITY.public));
    const routes = app.withTypeProvider<ZodTypeProvider>();
    routes.post(
      '/api/v1/auth/refresh',
      {
        schema: {
          tags: ['auth'],
          operationId: 'refreshTokens',
          security: ACCOUNT_SECURITY.refresh,
          summary: 'Refresh tokens',
          description:
            "Exchange a refresh token for a new access + refresh pair. The old refresh token's hash is rotated server-side; the old JTI is added to the revocation list once rotation is persisted. Replaying the old refresh token after this call kills the session (reuse detection). Refresh token may be in the body or in the `refresh_token` cookie (SSO flow).",
          body: z.object({ refresh_token: z.string().min(1).max(8192).optional() }).nullish(),
          response: { 200: ok(sessionGrant), ...errorResponses },
        },
      },
      async (request, reply) => {
        const token = request.body?.refresh_token ?? requestCookie(request, REFRESH_COOKIE);
        if (!token)
          throw errors.UNAUTHORIZED('Missing refresh token (body refresh_token or refresh_token cookie)');
        const grant = await auth.refresh(deps, token, originOf(request));
        return { success: true as const, data: withSessionCookies(reply, deps.config, grant) };
      },
    );
  };
}
