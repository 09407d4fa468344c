import type { Kysely, Selectable } from 'kysely';
import { errors } from '../errors.js';
import { isUniqueViolation } from '@trustplane/kernel';
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
  /** Ours: the logo the hosted flow shows (https). */
  logoUrl?: string;
}

export function createOrganizationsRepository(db: Kysely<KycDatabase>) {
  return {
    /** A customer id already taken is CUSTOMER_ID_TAKEN (409). */
    async insert(input: NewOrganization): Promise<OrganizationRow> {
      try {
        return await db
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
            logo_url: input.logoUrl ?? null,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
      } catch (error) {
        if (isUniqueViolation(error, 'organizations_customer_id_key')) throw errors.CUSTOMER_ID_TAKEN();
        throw error;
      }
    },
    find(id: string): Promise<OrganizationRow | undefined> {
      return db.selectFrom('organizations').selectAll().where('id', '=', id).executeTakeFirst();
    },
    /** The organizations `userId` is a member of, oldest first. */
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
  };
}

export type OrganizationsRepository = ReturnType<typeof createOrganizationsRepository>;
