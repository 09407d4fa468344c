import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { BacklexDeps } from '../../composition.js';
import { errorResponses, okSchema, slugParams } from '../schemas.js';
import { orgAccessOf } from '../session.js';

export function deleteOrgRoute(deps: BacklexDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().delete(
      '/api/org/:slug',
      {
        schema: {
          tags: ['Organization'],
          summary: 'Delete the organization',
          operationId: 'deleteOrg',
          description:
            'Owners. The org is 404 from then on; its invitations, keys, SSO and SCIM are revoked; `org.deleted` is sent to its integrations.',
          params: slugParams,
          response: { ...errorResponses, 200: okSchema },
        },
        config: { orgOperation: 'org.delete' },
      },
      async (request) => {
        await deps.orgs.remove(orgAccessOf(request));
        return { ok: true };
      },
    );
  };
}
