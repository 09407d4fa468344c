import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isDatabaseHostError } from '../src/index.js';
import { tempHost } from './temp-host.js';

const readOnlyRefusal = (error: unknown) => isDatabaseHostError(error) && error.code === 'READ_ONLY';

describe('readOnly requests (a storage allowance spent: writes refused, reads served)', () => {
  const host = tempHost({ hosts: 1 });

  it('serves reads and refuses every statement that may write, before it runs', async () => {
    await host.create('ro');
    await host.execute('ro', {
      statements: [{ sql: 'CREATE TABLE t (v INTEGER)' }, { sql: 'INSERT INTO t VALUES (1), (2)' }],
    });
    const read = async (sql: string) =>
      (await host.execute('ro', { statements: [{ sql }], readOnly: true })).results;
    assert.deepEqual((await read('SELECT count(*) FROM t'))[0]?.rows, [[2]]);
    assert.equal((await read('PRAGMA table_info(t)'))[0]?.rows.length, 1);
    assert.ok((await read('EXPLAIN QUERY PLAN SELECT * FROM t')).length === 1);
    assert.ok((await read('WITH x AS (SELECT v FROM t) SELECT * FROM x'))[0]?.rows.length === 2);
    for (const sql of [
      'INSERT INTO t VALUES (3)',
      'INSERT INTO t VALUES (3) RETURNING v',
      'UPDATE t SET v = v + 1',
      'DELETE FROM t RETURNING v',
      'WITH x AS (SELECT 1) DELETE FROM t',
      'CREATE TABLE u (v)',
      'CREATE INDEX t_v ON t (v)',
      'DROP TABLE t',
      'ALTER TABLE t ADD COLUMN w',
    ]) {
      await assert.rejects(
        host.execute('ro', { statements: [{ sql }], readOnly: true }),
        readOnlyRefusal,
        sql,
      );
    }
    // A batch whose read precedes a write: refused as a whole, nothing written.
    await assert.rejects(
      host.execute('ro', {
        statements: [{ sql: 'SELECT 1' }, { sql: 'INSERT INTO t VALUES (9)' }],
        readOnly: true,
      }),
      (error) =>
        readOnlyRefusal(error) &&
        (error as { details: { statementIndex: number } }).details.statementIndex === 1,
    );
    const after = await host.execute('ro', { statements: [{ sql: 'SELECT v FROM t ORDER BY v' }] });
    assert.deepEqual(after.results[0]?.rows, [[1], [2]]);
    // Without the flag the same write runs.
    await host.execute('ro', { statements: [{ sql: 'INSERT INTO t VALUES (3)' }] });
  });
});
