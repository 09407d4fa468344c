import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccountDeps } from '../../deps.js';
import * as auth from '../../identity/auth-service.js';
import { protect } from '../hooks.js';
import { requireHuman } from '../principal.js';
import { errorResponses, ok, originOf } from '../schemas.js';

export function changePasswordRoute(deps: AccountDeps) {
  return async (app: FastifyInstance) => {
    protect(app, deps);
    const routes = app.withTypeProvider<ZodTypeProvider>();
    routes.post(
      '/api/v1/me/password',
      {
        config: { rateLimit: 'login' },
        schema: {
          tags: ['account'],
          operationId: 'changePassword',
          summary: 'Change password',
          description:
            "Change the authenticated user's password. Verifies the current password, then revokes every active session **except** the one making this request (so the user isn't logged out of the tab they're sitting in). Service accounts cannot call this — they have no password. **Rate limit:** 5 / minute / IP.",
          body: z.object({
            current_password: z.string({ error: 'is required' }).min(1, { error: 'is required' }).max(1024),
            new_password: z.string({ error: 'is required' }).min(1, { error: 'is required' }).max(1024),
          }),
          response: { 200: ok(z.object({ success: z.literal(true) })), ...errorResponses },
        },
      },
      async (request) => {
        await auth.changePassword(deps, requireHuman(request), request.body, originOf(request));
        return { success: true as const, data: { success: true as const } };
      },
    );
  };
}
