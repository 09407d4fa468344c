import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type DatabaseHost, isDatabaseHostError } from '../src/index.js';
import { tempHost } from './temp-host.js';

/** Ids of databases owned by host 0 (two of them) and by host 1. */
function pickIds(host: DatabaseHost): { runaway: string; neighbour: string; other: string } {
  const onHost = (index: number, skip = 0) => {
    for (let n = 0, found = 0; ; n += 1) {
      const id = `db-${n}`;
      if (host.hostIndexOf(id) === index && found++ === skip) return id;
    }
  };
  return { runaway: onHost(0), neighbour: onHost(0, 1), other: onHost(1) };
}

describe('statement time limit', () => {
  const host = tempHost({ hosts: 2 });

  it('kills a runaway WITH RECURSIVE after 5 s and restarts its host while another host keeps answering', async () => {
    const { runaway, neighbour, other } = pickIds(host);
    for (const id of [runaway, neighbour, other]) {
      await host.create(id);
      await host.execute(id, {
        statements: [{ sql: 'CREATE TABLE t (v INTEGER)' }, { sql: 'INSERT INTO t VALUES (7)' }],
      });
    }
    const pidBefore = host.hostPids()[0];
    const otherPid = host.hostPids()[1];

    const runawayQuery = host.execute(runaway, {
      statements: [
        { sql: 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c' },
      ],
    });
    const runawayOutcome = runawayQuery.then(
      () => 'answered',
      (error: unknown) => error,
    );
    // Sent to the same host behind the runaway: it fails with the host, clearly.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const queued = host.execute(neighbour, { statements: [{ sql: 'SELECT v FROM t' }] }).then(
      () => 'answered',
      (error: unknown) => error,
    );

    // Meanwhile the other host answers, again and again.
    let answered = 0;
    let settled = false;
    void runawayOutcome.then(() => {
      settled = true;
    });
    while (!settled) {
      const { results } = await host.execute(other, { statements: [{ sql: 'SELECT v FROM t' }] });
      assert.deepEqual(results[0]!.rows, [[7]]);
      answered += 1;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.ok(answered > 0);

    const error = await runawayOutcome;
    assert.ok(isDatabaseHostError(error, 'STATEMENT_TIMEOUT'), String(error));
    assert.equal(error.details.timeoutMs, 5000);
    const queuedError = await queued;
    assert.ok(isDatabaseHostError(queuedError, 'HOST_RESTARTED'), String(queuedError));

    // The host came back with a new process; its files answer again, the other host never restarted.
    const again = await host.execute(runaway, { statements: [{ sql: 'SELECT v FROM t' }] });
    assert.deepEqual(again.results[0]!.rows, [[7]]);
    assert.notEqual(host.hostPids()[0], pidBefore);
    assert.equal(host.hostPids()[1], otherPid);
  });
});
