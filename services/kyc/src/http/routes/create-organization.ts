import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { OrganizationRow } from '../../db/organizations-repository.js';
import type { Kyc } from '../../kyc.js';
import { operatorOf } from '../auth-hooks.js';
import { errorResponses, organizationPublic } from '../schemas.js';

const createOrganizationBody = z.object({
  customerId: z.string().trim().min(1).max(255),
  legalCompanyName: z.string().max(500).optional(),
  legalEmail: z.email(),
  registrationNumber: z.string().max(120).optional(),
  companyWebsite: z.string().max(2048).optional(),
  companyAddress: z.string().max(4000).optional(),
  displayName: z.string().trim().min(1).max(200),
  aliasName: z.string().max(200).optional(),
  logoUrl: z
    .url({ protocol: /^https$/ })
    .max(2048)
    .optional()
    .describe("Ours: an https URL of the organization's logo, shown by the hosted verification flow."),
});
function toOrganizationPublic(row: OrganizationRow) {
  return {
    id: row.id,
    customerId: row.customer_id,
    legalCompanyName: row.legal_company_name,
    legalEmail: row.legal_email,
    registrationNumber: row.registration_number,
    companyWebsite: row.company_website,
    companyAddress: row.company_address,
    displayName: row.display_name,
    aliasName: row.alias_name,
    logoUrl: row.logo_url,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

export function createOrganizationRoute(kyc: Kyc) {
  return async (app: FastifyInstance) => {
    const api = app.withTypeProvider<ZodTypeProvider>();
    api.post(
      '/api/organizations',
      {
        schema: {
          tags: ['Organizations'],
          operationId: 'createOrganization',
          summary: 'Create organization',
          body: createOrganizationBody,
          response: {
            201: z.object({ ok: z.literal(true), organization: organizationPublic }),
            ...errorResponses(400, 401, 409, 500, 503),
          },
        },
      },
      async (request, reply) => {
        const row = await kyc.organizations.create(request.body, operatorOf(request).id);
        return reply.status(201).send({ ok: true, organization: toOrganizationPublic(row) });
      },
    );
  };
}
