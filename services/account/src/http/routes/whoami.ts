import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { NIL_UUID } from '../../auth/tokens.js';
import type { AccountDeps } from '../../deps.js';
import { protect } from '../hooks.js';
import { principalOf } from '../principal.js';
import { errorResponses, ok } from '../schemas.js';

const whoami = z.object({
  account_id: z.string(),
  principal_type: z.enum(['human', 'service']),
  session_id: z.string(),
  current_org_id: z.string(),
  organizations: z.array(z.object({ id: z.string(), role: z.string() })),
  permissions: z.array(z.string()),
});

export function whoamiRoute(deps: AccountDeps) {
  return async (app: FastifyInstance) => {
    protect(app, deps);
    const routes = app.withTypeProvider<ZodTypeProvider>();
    routes.get(
      '/api/v1/auth/whoami',
      {
        // The hot path of the service: the answer is built from the typed principal, so it is
        // serialised directly instead of being re-validated against its schema on every call.
        serializerCompiler: () => (data) => JSON.stringify(data),
        schema: {
          tags: ['auth'],
          operationId: 'whoami',
          summary: 'Whoami',
          description:
            'Return the principal identity carried by the request — exactly what the middleware extracted, with no extra DB lookups. Useful for SDKs and gateways debugging auth wiring.',
          response: { 200: ok(whoami), ...errorResponses },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        return {
          success: true as const,
          data: {
            account_id: principal.accountId,
            principal_type: principal.type,
            session_id: principal.sessionId ?? NIL_UUID,
            current_org_id: principal.orgId,
            organizations: principal.organizations,
            permissions: principal.permissions,
          },
        };
      },
    );
  };
}
