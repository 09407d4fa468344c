import { documentSecurity } from '@trustplane/kernel';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccountDeps } from '../../deps.js';
import * as orgs from '../../organizations/organizations.js';
import { ACCOUNT_SECURITY } from '../openapi.js';
import { errorResponses, ok } from '../schemas.js';
import { orgId } from './organization-params.js';

export function checkOrganizationPublicRoute(deps: AccountDeps) {
  return async (app: FastifyInstance) => {
    app.addHook('onRoute', documentSecurity(ACCOUNT_SECURITY.public));
    app.withTypeProvider<ZodTypeProvider>().get(
      '/api/v1/organizations/:org_id/check',
      {
        schema: {
          tags: ['organizations'],
          operationId: 'checkOrganizationPublic',
          summary: 'Check organization (public)',
          description:
            'Lightweight existence + display info for an organization. Used by frontends to validate org-scoped invitation links before login. Returns minimal data — no member or role info is leaked.',
          params: orgId,
          response: {
            200: ok(z.object({ org_id: z.string(), name: z.string(), created_at: z.number().int() })),
            ...errorResponses,
          },
        },
      },
      async (request) => ({
        success: true as const,
        data: await orgs.checkOrganization(deps.repositories, request.params.org_id),
      }),
    );
  };
}
