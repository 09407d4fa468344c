import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccountDeps } from '../../deps.js';
import * as auth from '../../identity/auth-service.js';
import { clearSessionCookiesOnSend } from '../cookies.js';
import { protect } from '../hooks.js';
import { requireHuman } from '../principal.js';
import { errorResponses, ok, originOf } from '../schemas.js';

export function logoutCurrentSessionRoute(deps: AccountDeps) {
  return async (app: FastifyInstance) => {
    protect(app, deps);
    const routes = app.withTypeProvider<ZodTypeProvider>();
    routes.post(
      '/api/v1/auth/logout',
      {
        // Cookies are cleared on every answer, even when the revoke fails.
        onSend: clearSessionCookiesOnSend(deps.config),
        schema: {
          tags: ['auth'],
          operationId: 'logoutCurrentSession',
          summary: 'Logout (current session)',
          description:
            "Revoke the current session. The access token's JTI is also added to the revocation list so a token stolen before logout stops validating immediately. Cookies are always cleared on the response, even if the server-side revoke fails. **Service principals cannot call this endpoint** — they have no session.",
          response: { 200: ok(z.object({ success: z.literal(true) })), ...errorResponses },
        },
      },
      async (request) => {
        await auth.logout(deps, requireHuman(request), originOf(request));
        return { success: true as const, data: { success: true as const } };
      },
    );
  };
}
