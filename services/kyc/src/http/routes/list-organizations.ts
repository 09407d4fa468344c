import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Kyc } from '../../kyc.js';
import { operatorOf } from '../auth-hooks.js';
import { errorResponses } from '../schemas.js';

export function listOrganizationsRoute(kyc: Kyc) {
  return async (app: FastifyInstance) => {
    const api = app.withTypeProvider<ZodTypeProvider>();
    api.get(
      '/api/organizations',
      {
        schema: {
          tags: ['Organizations'],
          operationId: 'listOrganizations',
          summary: 'List organizations for current user',
          response: {
            200: z.object({
              ok: z.literal(true),
              organizations: z.array(
                z.object({
                  id: z.uuid(),
                  customerId: z.string(),
                  displayName: z.string(),
                  subtitle: z.string(),
                }),
              ),
            }),
            ...errorResponses(401, 500, 503),
          },
        },
      },
      async (request) => {
        const rows = await kyc.organizations.listForUser(operatorOf(request).id);
        return {
          ok: true as const,
          organizations: rows.map((row) => ({
            id: row.id,
            customerId: row.customer_id,
            displayName: row.display_name,
            subtitle: row.alias_name ?? row.legal_company_name ?? row.customer_id,
          })),
        };
      },
    );
  };
}
