import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { BacklexDeps } from '../../composition.js';
import { REGIONS } from '../../orgs/regions.js';
import { errorResponses, orgSchema, slugParams } from '../schemas.js';
import { orgAccessOf } from '../session.js';

const body = z.object({
  name: z.string().trim().min(2).max(80).optional(),
  defaultRegion: z.enum(REGIONS).optional(),
  ipAllowlist: z.array(z.string().min(1).max(64)).max(100).optional(),
  webhookUrl: z.url().max(2048).nullable().optional(),
});

export function updateOrgRoute(deps: BacklexDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().patch(
      '/api/org/:slug',
      {
        schema: {
          tags: ['Organization'],
          summary: 'Update org settings',
          operationId: 'updateOrg',
          description:
            'Admins. `ipAllowlist`: IPs or CIDRs, enforced on every org route (empty = open); a list that excludes your own address is 409. `webhookUrl`: the managed all-events webhook; its secret comes once as `webhookSecret`.',
          params: slugParams,
          body,
          response: {
            ...errorResponses,
            200: z.object({ org: orgSchema, webhookSecret: z.string().optional() }),
          },
        },
        config: { orgOperation: 'org.update' },
      },
      async (request) => deps.orgs.update(orgAccessOf(request), request.body),
    );
  };
}
