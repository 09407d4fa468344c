import type { Transaction } from 'kysely';
import type { BacklexDatabase } from '../db/tables.js';
import type { StoredObjectKind } from '../db/usage-tables.js';

/**
 * The r2 side of usage as the areas that keep objects for a project see it (backups, exports):
 * record an object when it is stored (in the transaction that records it), forget it when it is
 * deleted. Idempotent by (`kind`, `key`).
 */
export interface StoredObjectLedger {
  record(
    executor: Transaction<BacklexDatabase> | undefined,
    object: { kind: StoredObjectKind; key: string; projectId: string; sizeBytes: number; at?: Date },
  ): Promise<void>;
  forget(
    executor: Transaction<BacklexDatabase> | undefined,
    object: { kind: StoredObjectKind; key: string; at?: Date },
  ): Promise<void>;
}
