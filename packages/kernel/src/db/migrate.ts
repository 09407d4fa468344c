import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { assertSchemaName } from './database.js';

export interface MigrationResult {
  schema: string;
  applied: string[];
  skipped: string[];
}

export class MigrationError extends Error {
  override readonly name = 'MigrationError';
}

const MIGRATION_FILE = /^\d{4}_[a-z0-9_-]+\.sql$/;

export async function listMigrations(
  directory: string,
): Promise<{ name: string; sql: string; checksum: string }[]> {
  let entries: string[];
  try {
    entries = await fs.readdir(directory);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const files = entries.filter((name) => name.endsWith('.sql')).sort();
  const invalid = files.filter((name) => !MIGRATION_FILE.test(name));
  if (invalid.length > 0) {
    throw new MigrationError(
      `migration files must be named NNNN_name.sql: ${invalid.join(', ')} in ${directory}`,
    );
  }
  return Promise.all(
    files.map(async (name) => {
      const sql = await fs.readFile(path.join(directory, name), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    }),
  );
}

/**
 * Applies the ordered SQL files of `directory` to `schema`, each in its own transaction,
 * under an advisory lock so concurrent starters do not race. Applied files are recorded
 * with their checksum: editing an applied migration is refused (migrations are append-only).
 */
export async function migrate(
  databaseUrl: string,
  schema: string,
  directory: string,
): Promise<MigrationResult> {
  assertSchemaName(schema);
  const migrations = await listMigrations(directory);
  const client = new pg.Client({
    connectionString: databaseUrl,
    application_name: `trustplane-migrate-${schema}`,
  });
  await client.connect();
  const result: MigrationResult = { schema, applied: [], skipped: [] };
  try {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [`trustplane.migrate.${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${schema}.schema_migrations (
         name text PRIMARY KEY,
         checksum text NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
    const { rows } = await client.query<{ name: string; checksum: string }>(
      `SELECT name, checksum FROM ${schema}.schema_migrations`,
    );
    const applied = new Map(rows.map((row) => [row.name, row.checksum]));
    for (const migration of migrations) {
      const previous = applied.get(migration.name);
      if (previous !== undefined) {
        if (previous !== migration.checksum) {
          throw new MigrationError(
            `migration ${schema}/${migration.name} was edited after it was applied; add a new migration instead`,
          );
        }
        result.skipped.push(migration.name);
        continue;
      }
      await client.query('BEGIN');
      try {
        await client.query(`SET LOCAL search_path TO ${schema}, public`);
        await client.query(migration.sql);
        await client.query(`INSERT INTO ${schema}.schema_migrations (name, checksum) VALUES ($1, $2)`, [
          migration.name,
          migration.checksum,
        ]);
        await client.query('COMMIT');
        result.applied.push(migration.name);
      } catch (error) {
        await client.query('ROLLBACK');
        throw new MigrationError(`migration ${schema}/${migration.name} failed: ${(error as Error).message}`);
      }
    }
  } finally {
    await client
      .query('SELECT pg_advisory_unlock(hashtext($1))', [`trustplane.migrate.${schema}`])
      .catch(() => undefined);
    await client.end();
  }
  return result;
}
