import type { Kysely, Selectable } from 'kysely';
import { errors } from '../errors.js';
import { isUniqueViolation } from './pg-errors.js';
import type { KycDatabase, OrganizationTable } from './tables.js';

export type OrganizationRow = Selectable<OrganizationTable>;

export interface NewOrganization {
  customerId: string;
  legalCompanyName?: string;
  legalEmail: string;
  registrationNumber?: string;
  companyWebsite?: string;
  companyAddress?: string;
  displayName: string;
  aliasName?: string;
}

export function createOrganizationsRepository(db: Kysely<KycDatabase>) {
  return {
    /** Creates the organization and its owner membership in one transaction. */
    async createWithOwner(input: NewOrganization, ownerId: string): Promise<OrganizationRow> {
      try {
        return await db.transaction().execute(async (trx) => {
          const organization = await trx
            .insertInto('organizations')
            .values({
              customer_id: input.customerId,
              legal_company_name: input.legalCompanyName ?? null,
              legal_email: input.legalEmail,
              registration_number: input.registrationNumber ?? null,
              company_website: input.companyWebsite ?? null,
              company_address: input.companyAddress ?? null,
              display_name: input.displayName,
              alias_name: input.aliasName ?? null,
            })
            .returningAll()
            .executeTakeFirstOrThrow();
          await trx
            .insertInto('memberships')
            .values({ organization_id: organization.id, user_id: ownerId, role: 'owner' })
            .execute();
          return organization;
        });
      } catch (error) {
        if (isUniqueViolation(error, 'organizations_customer_id_key')) throw errors.CUSTOMER_ID_TAKEN();
        throw error;
      }
    },
    listForUser(userId: string): Promise<OrganizationRow[]> {
      return db
        .selectFrom('organizations as o')
        .innerJoin('memberships as m', 'm.organization_id', 'o.id')
        .selectAll('o')
        .where('m.user_id', '=', userId)
        .orderBy('o.created_at', 'asc')
        .orderBy('o.id')
        .execute();
    },
    async isMember(organizationId: string, userId: string): Promise<boolean> {
      const row = await db
        .selectFrom('memberships')
        .select('role')
        .where('organization_id', '=', organizationId)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      return row !== undefined;
    },
  };
}

export type OrganizationsRepository = ReturnType<typeof createOrganizationsRepository>;
