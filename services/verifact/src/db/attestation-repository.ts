import type { Kysely, Selectable } from 'kysely';
import type { AttestationKeyTable, AttestationRootTable, VerifactDatabase } from './tables.js';

export type AttestationRootRow = Selectable<AttestationRootTable>;
export type AttestationKeyRow = Selectable<AttestationKeyTable>;

export function createAttestationRepository(db: Kysely<VerifactDatabase>) {
  return {
    root(): Promise<AttestationRootRow | undefined> {
      return db.selectFrom('attestation_root').selectAll().where('id', '=', 1).executeTakeFirst();
    },
    /** Inserts the root unless one exists (concurrent first rotations keep one); returns the one kept. */
    async ensureRoot(row: { publicKeyPem: string; privateKeySealed: string }): Promise<AttestationRootRow> {
      await db
        .insertInto('attestation_root')
        .values({ id: 1, public_key_pem: row.publicKeyPem, private_key_sealed: row.privateKeySealed })
        .onConflict((conflict) => conflict.column('id').doNothing())
        .execute();
      return db.selectFrom('attestation_root').selectAll().where('id', '=', 1).executeTakeFirstOrThrow();
    },
    async insertKey(row: {
      kid: string;
      publicKeyPem: string;
      privateKeySealed: string;
      manifest: Record<string, unknown>;
    }): Promise<void> {
      await db
        .insertInto('attestation_keys')
        .values({
          kid: row.kid,
          public_key_pem: row.publicKeyPem,
          private_key_sealed: row.privateKeySealed,
          manifest: JSON.stringify(row.manifest),
        })
        .execute();
    },
    current(): Promise<AttestationKeyRow | undefined> {
      return db
        .selectFrom('attestation_keys')
        .selectAll()
        .orderBy('created_at', 'desc')
        .orderBy('kid', 'desc')
        .limit(1)
        .executeTakeFirst();
    },
    byKid(kid: string): Promise<AttestationKeyRow | undefined> {
      return db.selectFrom('attestation_keys').selectAll().where('kid', '=', kid).executeTakeFirst();
    },
  };
}

export type AttestationRepository = ReturnType<typeof createAttestationRepository>;
