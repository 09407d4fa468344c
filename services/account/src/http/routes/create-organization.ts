import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccountDeps } from '../../deps.js';
import * as orgs from '../../organizations/organizations.js';
import { protect } from '../hooks.js';
import { principalOf } from '../principal.js';
import { errorResponses, ok, originOf } from '../schemas.js';
import { orgName, organization, slug } from './organization-schemas.js';

export function createOrganizationRoute(deps: AccountDeps) {
  return async (app: FastifyInstance) => {
    protect(app, deps);
    const routes = app.withTypeProvider<ZodTypeProvider>();
    routes.post(
      '/api/v1/organizations',
      {
        schema: {
          tags: ['organizations'],
          operationId: 'createOrganization',
          summary: 'Create organization',
          description:
            'Create a new organization with the caller as owner. Slug is auto-derived from the name when omitted; if the slug collides a 4xx is returned and the caller should retry with an explicit slug.',
          body: z.object({
            name: orgName,
            slug: slug.optional(),
            description: z.string().max(2000).optional(),
          }),
          response: { 201: ok(organization), ...errorResponses },
        },
      },
      async (request, reply) => {
        const data = await orgs.createTeamOrganization(
          deps.repositories,
          principalOf(request),
          request.body,
          originOf(request),
        );
        return reply.status(201).send({ success: true as const, code: 2010, data });
      },
    );
  };
}
