import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccountDeps } from '../../deps.js';
import * as auth from '../../identity/auth-service.js';
import { protect } from '../hooks.js';
import { requireHuman } from '../principal.js';
import { errorResponses, okNull, originOf } from '../schemas.js';
import { SESSION_PATHS } from './me-schemas.js';

/** One operation on two paths: `/api/v1/me/sessions/{id}` and its deprecated `/api/v1/sessions/{id}`. */
export function revokeASessionRoute(deps: AccountDeps) {
  return async (app: FastifyInstance) => {
    protect(app, deps);
    const routes = app.withTypeProvider<ZodTypeProvider>();
    for (const base of SESSION_PATHS) {
      const legacy = base === '/api/v1/sessions';
      routes.delete(
        `${base}/:session_id`,
        {
          schema: {
            tags: ['account'],
            operationId: legacy ? 'revokeASessionLegacy' : 'revokeASession',
            summary: legacy ? 'Revoke a session (legacy path)' : 'Revoke a session',
            description:
              'Revoke a specific session by id. The user can revoke any of their own sessions, including the current one (which terminates the calling session). Also available at `/api/v1/sessions/{session_id}`.',
            deprecated: legacy,
            // The seed names the legacy path in prose only: not one of its operations.
            ...(legacy ? { 'x-extension': true } : {}),
            params: z.object({ session_id: z.uuid({ error: 'must be a UUID' }) }),
            response: { 200: okNull, ...errorResponses },
          },
        },
        async (request) => {
          await auth.revokeOwnSession(
            deps,
            requireHuman(request),
            request.params.session_id,
            originOf(request),
          );
          return { success: true as const, data: null };
        },
      );
    }
  };
}
