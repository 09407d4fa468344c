import type { Kysely } from 'kysely';
import type { BacklexDatabase } from './tables.js';

/** @better-auth/sso's `ssoProvider` rows as backlex reads them (the plugin writes them). */
export function createSsoProviderRepository(db: Kysely<BacklexDatabase>) {
  return {
    findByOrg(organizationId: string, executor: Kysely<BacklexDatabase> = db) {
      return executor
        .selectFrom('ssoProvider')
        .selectAll()
        .where('organizationId', '=', organizationId)
        .executeTakeFirst();
    },

    /** The provider behind `/api/sso/{slug}/login`, for an active org only. */
    findLoginTarget(slug: string) {
      return db
        .selectFrom('ssoProvider')
        .innerJoin('organization', 'organization.id', 'ssoProvider.organizationId')
        .select(['ssoProvider.providerId', 'ssoProvider.enabled'])
        .where('organization.slug', '=', slug)
        .where('organization.status', '=', 'active')
        .executeTakeFirst();
    },

    /** Deletes the org's provider and its pending domain verification (`verification.identifier`). */
    async removeForOrg(
      organizationId: string,
      verificationIdentifier: string,
      executor: Kysely<BacklexDatabase> = db,
    ): Promise<void> {
      await executor.deleteFrom('ssoProvider').where('organizationId', '=', organizationId).execute();
      await executor
        .deleteFrom('verification' as never)
        .where('identifier' as never, '=', verificationIdentifier as never)
        .execute();
    },
  };
}

export type SsoProviderRepository = ReturnType<typeof createSsoProviderRepository>;
