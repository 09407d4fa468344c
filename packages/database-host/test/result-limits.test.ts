import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isDatabaseHostError } from '../src/index.js';
import { tempHost } from './temp-host.js';

const ENDLESS = 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c)';

describe('result caps: 10,000 rows and 8 MB per request, counted while stepping', () => {
  const host = tempHost({ hosts: 1 });

  it('answers exactly 10,000 rows, and refuses the 10,001st', async () => {
    await host.create('rows');
    const ok = await host.execute('rows', {
      statements: [{ sql: `${ENDLESS} SELECT x FROM c LIMIT 10000` }],
    });
    assert.equal(ok.results[0]!.rows.length, 10_000);
    await assert.rejects(
      host.execute('rows', { statements: [{ sql: `${ENDLESS} SELECT x FROM c LIMIT 10001` }] }),
      (error) => isDatabaseHostError(error, 'RESULT_TOO_LARGE') && error.details.limit === 'rows',
    );
    // The cap is over the whole request, not per statement.
    await assert.rejects(
      host.execute('rows', {
        statements: [
          { sql: `${ENDLESS} SELECT x FROM c LIMIT 6000` },
          { sql: `${ENDLESS} SELECT x FROM c LIMIT 6000` },
        ],
      }),
      (error) => isDatabaseHostError(error, 'RESULT_TOO_LARGE'),
    );
  });

  it('stops an endless result at the cap instead of reading it all (rows, then bytes)', async () => {
    await host.create('endless');
    await assert.rejects(
      host.execute('endless', { statements: [{ sql: `${ENDLESS} SELECT x FROM c` }] }),
      (error) => isDatabaseHostError(error, 'RESULT_TOO_LARGE') && error.details.limit === 'rows',
    );
    await assert.rejects(
      host.execute('endless', { statements: [{ sql: `${ENDLESS} SELECT randomblob(100000) FROM c` }] }),
      (error) => isDatabaseHostError(error, 'RESULT_TOO_LARGE') && error.details.limit === 'bytes',
    );
    const justUnder = await host.execute('endless', {
      statements: [{ sql: `${ENDLESS} SELECT zeroblob(1000000) FROM c LIMIT 8` }],
    });
    assert.equal(justUnder.results[0]!.rows.length, 8);
    await assert.rejects(
      host.execute('endless', {
        statements: [{ sql: `${ENDLESS} SELECT zeroblob(1000000) FROM c LIMIT 9` }],
      }),
      (error) => isDatabaseHostError(error, 'RESULT_TOO_LARGE') && error.details.limit === 'bytes',
    );
  });

  it('leaves the file usable after a cap (no statement left holding its lock), and undoes a write that returned too much', async () => {
    await host.create('after-cap');
    await host.execute('after-cap', { statements: [{ sql: 'CREATE TABLE t (x INTEGER)' }] });
    await assert.rejects(
      host.execute('after-cap', { statements: [{ sql: `${ENDLESS} SELECT x FROM c` }] }),
      (error) => isDatabaseHostError(error, 'RESULT_TOO_LARGE'),
    );
    await assert.rejects(
      host.execute('after-cap', {
        statements: [{ sql: `INSERT INTO t ${ENDLESS} SELECT x FROM c LIMIT 10001 RETURNING x` }],
      }),
      (error) => isDatabaseHostError(error, 'RESULT_TOO_LARGE'),
    );
    const { results } = await host.execute('after-cap', {
      statements: [{ sql: 'INSERT INTO t VALUES (1)' }, { sql: 'SELECT count(*) FROM t' }],
    });
    assert.deepEqual(results[1]!.rows, [[1]]);
    await host.checkpoint('after-cap');
  });
});
