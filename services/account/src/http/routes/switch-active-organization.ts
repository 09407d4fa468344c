import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AccountDeps } from '../../deps.js';
import { switchOrganization } from '../../identity/auth-service.js';
import { withSessionCookies } from '../cookies.js';
import { protect } from '../hooks.js';
import { requireHuman } from '../principal.js';
import { errorResponses, ok, originOf, sessionGrant } from '../schemas.js';
import { orgId } from './organization-params.js';

export function switchActiveOrganizationRoute(deps: AccountDeps) {
  return async (app: FastifyInstance) => {
    protect(app, deps);
    const routes = app.withTypeProvider<ZodTypeProvider>();
    routes.post(
      '/api/v1/organizations/:org_id/switch',
      {
        schema: {
          tags: ['organizations'],
          operationId: 'switchActiveOrganization',
          summary: 'Switch active organization',
          description:
            'Issue a new token pair bound to a different organization. The existing session id is reused, so refresh continuity is preserved. The caller must already be a member of the target org.',
          params: orgId,
          response: { 200: ok(sessionGrant), ...errorResponses },
        },
      },
      async (request, reply) => {
        const grant = await switchOrganization(
          deps,
          requireHuman(request),
          request.params.org_id,
          originOf(request),
        );
        return { success: true as const, data: withSessionCookies(reply, deps.config, grant) };
      },
    );
  };
}
