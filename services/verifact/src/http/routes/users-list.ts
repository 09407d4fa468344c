import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { VerifactDeps } from '../../composition.js';
import { principalOf, meta, metaSchema } from '../auth.js';
import { errorResponses, userSchema } from '../schemas.js';

const query = z.object({
  role: z.enum(['surveyor', 'adjuster', 'siu', 'tenant_admin']).optional(),
  active: z.enum(['true', 'false']).default('true'),
});

export function listUsersRoute(deps: VerifactDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().get(
      '/api/v1/users',
      {
        schema: {
          tags: ['Users'],
          summary: 'List users in your tenant',
          operationId: 'listUsers',
          description:
            '`active=true` (default): active users only; `active=false`: every user, deactivated included.',
          querystring: query,
          response: {
            ...errorResponses(401, 403),
            200: z.object({
              data: z.array(userSchema),
              meta: z.object({ total: z.number().int(), tenant: z.string() }),
              _meta: metaSchema,
            }),
          },
        },
        config: {
          access: {
            operation: 'verifact.users.list',
            requirement: { anyOf: ['claims:read', 'claims:write', 'users:write'] },
            rateLimited: false,
          },
        },
      },
      async (request) => {
        const tenant = principalOf(request).tenant;
        const data = await deps.users.list(tenant, {
          ...(request.query.role ? { role: request.query.role } : {}),
          active: request.query.active === 'true',
        });
        return { data, meta: { total: data.length, tenant: tenant.code }, _meta: meta(request) };
      },
    );
  };
}
