// The in-process baselines of the project-database benchmarks, for reuse: a seeded `items` table,
// and a bare Fastify route answering a primary-key SELECT with libsql on the same file (what the
// data API is compared against: the target is ≥ 0.4 of this route's requests/s).
import Database from 'libsql';
import Fastify from 'fastify';

export const PRIMARY_KEY_SELECT = 'SELECT id, name, price FROM items WHERE id = ?';

/** Statements that create `items` with `rows` rows (one transaction; ids 1..rows). */
export function seedItemsStatements(rows: number): { sql: string; params?: unknown[] }[] {
  return [
    { sql: 'CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, price REAL NOT NULL)' },
    {
      sql: `INSERT INTO items (id, name, price)
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n LIMIT ?)
            SELECT i, 'item-' || i, i * 0.5 FROM n`,
      params: [rows],
    },
  ];
}

/** A libsql connection on `file` (WAL, as the host opens it) with the primary-key SELECT prepared. */
export function openInProcess(file: string) {
  const connection = new Database(file);
  connection.exec('PRAGMA journal_mode=WAL');
  const select = connection.prepare(PRIMARY_KEY_SELECT).raw(true);
  return {
    connection,
    /** One row as an array, as the host answers it. */
    selectById: (id: number) => select.get([id]) as unknown[] | undefined,
    close: () => connection.close(),
  };
}

/**
 * A bare Fastify server: `POST /query` with `{ id }` answers `{ columns, rows }` from libsql on
 * `file`, in the server's own thread. No auth, no validation, no logging: the ceiling.
 */
export async function startBareLibsqlServer(file: string): Promise<{ url: string; close(): Promise<void> }> {
  const database = openInProcess(file);
  const app = Fastify({ logger: false });
  app.post<{ Body: { id: number } }>('/query', async (request) => {
    const row = database.selectById(request.body.id);
    return { results: [{ columns: ['id', 'name', 'price'], rows: row ? [row] : [] }] };
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    url,
    close: async () => {
      await app.close();
      database.close();
    },
  };
}
