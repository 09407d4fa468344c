import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccountDeps } from '../../deps.js';
import * as auth from '../../identity/auth-service.js';
import { clearSessionCookiesOnSend } from '../cookies.js';
import { protect } from '../hooks.js';
import { requireHuman } from '../principal.js';
import { errorResponses, ok, originOf } from '../schemas.js';

export function logoutFromAllDevicesRoute(deps: AccountDeps) {
  return async (app: FastifyInstance) => {
    protect(app, deps);
    const routes = app.withTypeProvider<ZodTypeProvider>();
    routes.post(
      '/api/v1/auth/logout-all',
      {
        // Cookies are cleared on every answer, even when the revoke fails.
        onSend: clearSessionCookiesOnSend(deps.config),
        schema: {
          tags: ['auth'],
          operationId: 'logoutFromAllDevices',
          summary: 'Logout from all devices',
          description:
            'Revoke every active session for the calling account. Useful for "I lost my phone" or post-password-change cleanups. Cookies are rotated/cleared on the response.',
          response: { 200: ok(z.object({ success: z.literal(true) })), ...errorResponses },
        },
      },
      async (request) => {
        await auth.logoutAll(deps, requireHuman(request), originOf(request));
        return { success: true as const, data: { success: true as const } };
      },
    );
  };
}
