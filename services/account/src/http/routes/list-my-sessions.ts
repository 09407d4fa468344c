import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccountDeps } from '../../deps.js';
import { epoch } from '../../identity/access.js';
import * as auth from '../../identity/auth-service.js';
import { requirePermission } from '../../identity/principal.js';
import { protect } from '../hooks.js';
import { requireHuman } from '../principal.js';
import { errorResponses, ok, page, pageQuery } from '../schemas.js';
import { SESSION_PATHS } from './me-schemas.js';

const sessionItem = z.object({
  session_id: z.string(),
  ip_address: z.string(),
  user_agent: z.string(),
  device_fingerprint: z.string(),
  created_at: z.number().int(),
  last_used_at: z.number().int(),
  expires_at: z.number().int(),
  is_current: z.boolean(),
});

const sessionsList = z.object({
  sessions: z.array(sessionItem),
  total: z.number().int(),
  page: z.number().int(),
  per_page: z.number().int(),
  total_pages: z.number().int(),
});

/** One operation on two paths: `/api/v1/me/sessions` and its deprecated `/api/v1/sessions`. */
export function listMySessionsRoute(deps: AccountDeps) {
  return async (app: FastifyInstance) => {
    protect(app, deps);
    const routes = app.withTypeProvider<ZodTypeProvider>();
    for (const base of SESSION_PATHS) {
      const legacy = base === '/api/v1/sessions';
      routes.get(
        base,
        {
          schema: {
            tags: ['account'],
            operationId: legacy ? 'listMySessionsLegacy' : 'listMySessions',
            summary: legacy ? 'List my sessions (legacy path)' : 'List my sessions',
            description:
              'List every active session for the authenticated user. The session backing the current request is flagged with `is_current: true`. Also available at `/api/v1/sessions` (legacy path).',
            deprecated: legacy,
            // The seed names the legacy path in prose only: not one of its operations.
            ...(legacy ? { 'x-extension': true } : {}),
            querystring: z.object(pageQuery),
            response: { 200: ok(sessionsList), ...errorResponses },
          },
        },
        async (request) => {
          const principal = requireHuman(request);
          requirePermission(principal, 'read:sessions');
          const all = await auth.listSessions(deps, principal.accountId);
          const { page: pageNumber, per_page: perPage } = request.query;
          const slice = all.slice((pageNumber - 1) * perPage, pageNumber * perPage);
          const paged = page(slice, all.length, pageNumber, perPage);
          return {
            success: true as const,
            data: {
              sessions: paged.items.map((session) => ({
                session_id: session.id,
                ip_address: session.ip_address,
                user_agent: session.user_agent,
                device_fingerprint: session.device_fingerprint,
                created_at: epoch(session.created_at),
                last_used_at: epoch(session.last_used_at),
                expires_at: epoch(session.expires_at),
                is_current: session.id === principal.sessionId,
              })),
              total: paged.total,
              page: paged.page,
              per_page: paged.per_page,
              total_pages: paged.total_pages,
            },
          };
        },
      );
    }
  };
}
