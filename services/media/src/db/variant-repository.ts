import type { Database } from '@trustplane/kernel';
import { sql, type Transaction } from 'kysely';
import type {
  MediaDatabase,
  VariantFailureReason,
  VariantFailureRow,
  VariantName,
  VariantRow,
} from './types.js';

/** What a generator may do while it holds the lock of one (media, variant). */
export interface VariantGenerationScope {
  findVariant(): Promise<VariantRow | undefined>;
  findFailure(): Promise<VariantFailureRow | undefined>;
  recordVariant(row: VariantRow): Promise<VariantRow>;
  recordFailure(reason: VariantFailureReason, detail: string): Promise<VariantFailureRow>;
}

/** Advisory-lock namespace of variant generation (the two-key form: namespace, (media, variant)). */
const LOCK_NAMESPACE = 'trustplane.media.variant';

export function createVariantRepository(database: Database<MediaDatabase>) {
  const db = database.kysely;

  function scopeOf(trx: Transaction<MediaDatabase>, mediaId: string, variant: VariantName) {
    return {
      findVariant: () =>
        trx
          .selectFrom('media_variants')
          .selectAll()
          .where('media_id', '=', mediaId)
          .where('variant', '=', variant)
          .executeTakeFirst(),
      findFailure: () =>
        trx
          .selectFrom('media_variant_failures')
          .selectAll()
          .where('media_id', '=', mediaId)
          .where('variant', '=', variant)
          .executeTakeFirst(),
      recordVariant: (row: VariantRow) =>
        trx.insertInto('media_variants').values(row).returningAll().executeTakeFirstOrThrow(),
      recordFailure: (reason: VariantFailureReason, detail: string) =>
        trx
          .insertInto('media_variant_failures')
          .values({ media_id: mediaId, variant, reason, detail, failed_at: new Date() })
          .returningAll()
          .executeTakeFirstOrThrow(),
    } satisfies VariantGenerationScope;
  }

  return {
    async findVariant(mediaId: string, variant: VariantName): Promise<VariantRow | undefined> {
      return db
        .selectFrom('media_variants')
        .selectAll()
        .where('media_id', '=', mediaId)
        .where('variant', '=', variant)
        .executeTakeFirst();
    },

    async findFailure(mediaId: string, variant: VariantName): Promise<VariantFailureRow | undefined> {
      return db
        .selectFrom('media_variant_failures')
        .selectAll()
        .where('media_id', '=', mediaId)
        .where('variant', '=', variant)
        .executeTakeFirst();
    },

    /**
     * Runs `work` in one transaction holding a lock on (media, variant) that every process of the
     * service shares (`pg_advisory_xact_lock`, released at commit or rollback): a second generator
     * waits, then finds the first one's row or failure. A media deleted meanwhile makes the
     * inserts fail with a foreign-key violation, rolling everything back.
     */
    async exclusively<T>(
      mediaId: string,
      variant: VariantName,
      work: (scope: VariantGenerationScope) => Promise<T>,
    ): Promise<T> {
      return database.transaction(async (trx) => {
        await sql`SELECT pg_advisory_xact_lock(hashtext(${LOCK_NAMESPACE}), hashtext(${`${mediaId}:${variant}`}))`.execute(
          trx,
        );
        return work(scopeOf(trx, mediaId, variant));
      });
    },
  };
}

export type VariantRepository = ReturnType<typeof createVariantRepository>;
