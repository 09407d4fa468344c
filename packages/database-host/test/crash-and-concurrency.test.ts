import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type DatabaseHost, isDatabaseHostError } from '../src/index.js';
import { tempHost } from './temp-host.js';

function idsOnDifferentHosts(host: DatabaseHost): [string, string] {
  const first = 'file-0';
  for (let n = 1; ; n += 1) {
    const id = `file-${n}`;
    if (host.hostIndexOf(id) !== host.hostIndexOf(first)) return [first, id];
  }
}

describe('crash of a host mid-write', () => {
  const host = tempHost({ hosts: 2 });

  it('keeps every acknowledged commit after SIGKILL and restart; the others fail with HOST_RESTARTED', async () => {
    await host.create('crashy');
    await host.execute('crashy', {
      statements: [{ sql: 'CREATE TABLE t (id INTEGER PRIMARY KEY, payload TEXT)' }],
    });
    const index = host.hostIndexOf('crashy');
    const pid = host.hostPids()[index]!;
    const acknowledged: number[] = [];
    let killed = false;
    const writes = Array.from({ length: 400 }, (_, n) =>
      host
        .execute('crashy', {
          statements: [
            { sql: 'INSERT INTO t (id, payload) VALUES (?, ?)', params: [n, 'x'.repeat(2000)] },
            { sql: 'INSERT INTO t (id, payload) VALUES (?, ?)', params: [n + 100_000, 'y'] },
          ],
        })
        .then(() => {
          acknowledged.push(n);
          // Mid-load: some commits acknowledged, many still in flight.
          if (acknowledged.length === 40 && !killed) {
            killed = true;
            process.kill(pid, 'SIGKILL');
          }
        }),
    );
    const outcomes = await Promise.allSettled(writes);
    assert.ok(killed);
    const failures = outcomes.filter((outcome) => outcome.status === 'rejected');
    assert.ok(failures.length > 0, 'the kill caught writes in flight');
    for (const failure of failures)
      assert.ok(isDatabaseHostError((failure as PromiseRejectedResult).reason, 'HOST_RESTARTED'));

    const { results } = await host.execute('crashy', {
      statements: [{ sql: 'SELECT id FROM t WHERE id < 100000' }],
    });
    const present = new Set(results[0]!.rows.map((row) => row[0] as number));
    for (const n of acknowledged) assert.ok(present.has(n), `acknowledged commit ${n} is in the file`);
    // Each batch is all or nothing, even the one cut by the kill.
    const pairs = await host.execute('crashy', {
      statements: [
        {
          sql: 'SELECT count(*) FROM t a WHERE id < 100000 AND NOT EXISTS (SELECT 1 FROM t b WHERE b.id = a.id + 100000)',
        },
      ],
    });
    assert.deepEqual(pairs.results[0]!.rows, [[0]]);
    assert.notEqual(host.hostPids()[index], pid);
    const integrity = await host.execute('crashy', { statements: [{ sql: 'PRAGMA integrity_check' }] });
    assert.deepEqual(integrity.results[0]!.rows, [['ok']]);
  });
});

describe('concurrency', () => {
  const host = tempHost({ hosts: 2, statementTimeoutMs: 120_000 });

  it('serializes parallel writes to one file: no lost update, no busy error', async () => {
    await host.create('counter');
    await host.execute('counter', { statements: [{ sql: 'CREATE TABLE log (seq INTEGER PRIMARY KEY)' }] });
    const results = await Promise.all(
      Array.from({ length: 100 }, () =>
        host.execute('counter', {
          statements: [
            { sql: 'INSERT INTO log (seq) SELECT coalesce(max(seq), 0) + 1 FROM log' },
            { sql: 'SELECT max(seq) FROM log' },
          ],
        }),
      ),
    );
    const seen = results.map((result) => result.results[1]!.rows[0]![0] as number).sort((a, b) => a - b);
    assert.deepEqual(
      seen,
      Array.from({ length: 100 }, (_, n) => n + 1),
    );
  });

  it('serves different files in parallel: a long statement on one host does not hold up another file', async () => {
    const [slowId, fastId] = idsOnDifferentHosts(host);
    await host.create(slowId);
    await host.create(fastId);
    let slowDone = false;
    const slow = host
      .execute(slowId, {
        statements: [
          {
            sql: 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 20000000) SELECT count(*) FROM c',
          },
        ],
      })
      .then((result) => {
        slowDone = true;
        return result;
      });
    // Give the slow statement time to start on its host.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const fast = await host.execute(fastId, { statements: [{ sql: 'SELECT 42' }] });
    assert.deepEqual(fast.results[0]!.rows, [[42]]);
    assert.equal(slowDone, false, 'the other file answered while the long statement was still running');
    assert.deepEqual((await slow).results[0]!.rows, [[20_000_000]]);
  });
});
