import { type Kysely, sql } from 'kysely';
import type { AccountDB } from './types.js';

/**
 * The `signing_keys` rows the kernel's `SigningKeyStore` (`auth/key-store.ts`) writes and reads;
 * this repository only removes what the store no longer uses.
 */
export function createSigningKeyRepository(db: Kysely<AccountDB>) {
  return {
    /** Deletes retired keys past their verification horizon (their private half must not outlive its use); how many. */
    async deleteRetiredPastHorizon(): Promise<number> {
      const result = await db
        .deleteFrom('signing_keys')
        .where('active', '=', false)
        .where('not_after', '<', sql<Date>`now()`)
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

export type SigningKeyRepository = ReturnType<typeof createSigningKeyRepository>;
