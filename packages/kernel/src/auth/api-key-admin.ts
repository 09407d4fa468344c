import { runSql, type SqlExecutor, withinTransaction } from '../db/sql-executor.js';

export interface ApiKeyTable {
  /** The key table (`api_keys`, or schema-qualified); it has `id` and `revoked_at` columns. */
  table: string;
  /** The column holding the display prefix (`display_prefix`, `key_prefix`). */
  prefixColumn: string;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;
const TABLE_NAME = /^[a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)?$/;

/**
 * An operator's change to one key named by id or display prefix (`key revoke --id bio_Ab3x`):
 * the unrevoked keys matching are locked, and `set` is applied only when exactly one matches. A
 * display prefix holds a few characters of the secret and two keys can share it: naming both is
 * refused (the operator gives the id), never applied to both. Returns the id changed, or undefined.
 */
export async function updateSingleActiveKey(
  executor: SqlExecutor,
  keys: ApiKeyTable,
  idOrPrefix: string,
  set: Record<string, unknown>,
): Promise<string | undefined> {
  const columns = Object.keys(set);
  if (!TABLE_NAME.test(keys.table)) throw new TypeError(`invalid table name: ${keys.table}`);
  if (columns.length === 0) throw new TypeError('nothing to set');
  for (const column of [keys.prefixColumn, ...columns]) {
    if (!IDENTIFIER.test(column)) throw new TypeError(`invalid column name: ${column}`);
  }
  return withinTransaction(executor, async (transaction) => {
    const matches = await runSql<{ id: string }>(
      transaction,
      `SELECT id FROM ${keys.table} WHERE (id::text = $1 OR ${keys.prefixColumn} = $1) AND revoked_at IS NULL FOR UPDATE`,
      [idOrPrefix],
    );
    const [match] = matches;
    if (!match || matches.length !== 1) return undefined;
    const assignments = columns.map((column, index) => `${column} = $${index + 2}`).join(', ');
    await runSql(transaction, `UPDATE ${keys.table} SET ${assignments} WHERE id = $1`, [
      match.id,
      ...columns.map((column) => set[column]),
    ]);
    return match.id;
  });
}
