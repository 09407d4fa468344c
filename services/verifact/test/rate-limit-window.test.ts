import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { hashApiKey } from '@trustplane/kernel';
import { sql } from 'kysely';
import { Harness, type TestTenant } from './support/harness.js';

let h: Harness;
let tenant: TestTenant;

before(async () => {
  h = await Harness.boot();
  tenant = await h.tenant();
});
after(() => h?.close());

const plan = (key: string) => h.call({ method: 'GET', url: '/api/v1/plan', key });
const db = () => h.deps().database.kysely;

async function keyRow(key: string) {
  return db()
    .selectFrom('api_keys')
    .select(['id', 'tenant_id'])
    .where('key_hash', '=', hashApiKey(key))
    .executeTakeFirstOrThrow();
}

/**
 * The service has no clock of its own to move: like the other rate-limit tests, time passes by
 * moving the key's logged requests (the table the window is counted from) into the past. Only the
 * `count` oldest of the key's requests are moved, so the rest stay inside the window.
 */
async function age(key: string, count: number, hours = 25) {
  const { id } = await keyRow(key);
  await sql`UPDATE verifact.api_requests SET created_at = clock_timestamp() - make_interval(hours => ${hours})
            WHERE id IN (SELECT id FROM verifact.api_requests WHERE key_id = ${id}
                         ORDER BY created_at, id LIMIT ${count})`.execute(db());
}

/** Makes `count` counted requests one after another; returns their statuses and Remaining headers. */
async function requests(key: string, count: number) {
  const answers: [number, string | undefined][] = [];
  for (let index = 0; index < count; index += 1) {
    const response = await plan(key);
    answers.push([response.statusCode, response.headers['x-ratelimit-remaining'] as string | undefined]);
  }
  return answers;
}

describe('rate-limit window over a long history', () => {
  test('requests that left the window stop counting, once, however many of them there are', async () => {
    const key = await tenant.key('claims:read', { dailyLimit: 12 });
    // Three full windows in a row, each pushed out of the window before the next: the key's log
    // then holds 36 requests, of which none is in the window.
    for (let round = 0; round < 3; round += 1) {
      const answers = await requests(key, 12);
      assert.deepEqual(
        answers.map(([status]) => status),
        Array(12).fill(200),
        `round ${round}`,
      );
      assert.equal(answers[0]?.[1], '11');
      assert.equal(answers[11]?.[1], '0');
      assert.equal((await plan(key)).statusCode, 429);
      await age(key, 12 * (round + 1));
    }
    // A new window: 5 requests count, the 36 before them do not.
    const fresh = await requests(key, 5);
    assert.deepEqual(fresh.at(-1), [200, '7']);
    // 2 of the 5 leave the window: 3 counted, so the next request leaves 12 - 4 = 8.
    await age(key, 36 + 2);
    const next = await plan(key);
    assert.equal(next.statusCode, 200);
    assert.equal(next.headers['x-ratelimit-remaining'], '8');
    // Reset counts down from the oldest request still in the window (made just now): about 24 h.
    const reset = Number(next.headers['x-ratelimit-reset']);
    assert.ok(reset > 86_000 && reset <= 86_400, String(reset));
    // The log keeps every request (the retention job prunes it, not the window).
    const { id } = await keyRow(key);
    const logged = await db()
      .selectFrom('api_requests')
      .select((eb) => eb.fn.countAll<string>().as('count'))
      .where('key_id', '=', id)
      .executeTakeFirstOrThrow();
    assert.equal(Number(logged.count), 36 + 5 + 1);
    // Fill the window exactly: 8 more, then 429.
    const rest = await requests(key, 9);
    assert.deepEqual(rest.at(-2), [200, '0']);
    assert.equal(rest.at(-1)?.[0], 429);
  });

  test('20 concurrent requests at the limit boundary take exactly the slots that freed', async () => {
    const key = await tenant.key('claims:read', { dailyLimit: 10 });
    assert.deepEqual(
      (await requests(key, 10)).map(([status]) => status),
      Array(10).fill(200),
    );
    // 4 slots free at once: each of the 20 requests may be the one that finds them gone.
    await age(key, 4);
    const responses = await Promise.all(Array.from({ length: 20 }, () => plan(key)));
    const statuses = responses.map((response) => response.statusCode).sort();
    assert.deepEqual(statuses, [...Array(4).fill(200), ...Array(16).fill(429)]);
    const remaining = responses
      .filter((response) => response.statusCode === 200)
      .map((response) => Number(response.headers['x-ratelimit-remaining']))
      .sort();
    assert.deepEqual(remaining, [0, 1, 2, 3]);
    // Then the other 6 of the first 10 leave: exactly 6 more fit, again under 20 at once.
    await age(key, 10);
    const second = await Promise.all(Array.from({ length: 20 }, () => plan(key)));
    assert.deepEqual(second.map((response) => response.statusCode).sort(), [
      ...Array(6).fill(200),
      ...Array(14).fill(429),
    ]);
  });

  test("a call reads a bounded number of the log's entries, not the whole window", async () => {
    // 300 requests in the window, made through the function the service calls for each request.
    const key = await tenant.key('claims:read', { dailyLimit: 1000 });
    const { id, tenant_id } = await keyRow(key);
    await sql`SELECT verifact.consume_request(${id}, ${tenant_id}, 'test', 1000, 86400)
              FROM generate_series(1, 300)`.execute(db());
    // Entries of the request log read within one transaction that makes one request:
    // counting the window would read all 300.
    const entriesRead = async () =>
      db()
        .connection()
        .execute((connection) =>
          connection.transaction().execute(async (trx) => {
            // Entries returned by the table's indexes plus rows read by sequential scans of it.
            const indexes = sql`SELECT (pg_stat_get_xact_tuples_returned('verifact.api_requests'::regclass)
                                  + coalesce(sum(pg_stat_get_xact_tuples_returned(i.indexrelid)), 0))::int AS n
                                FROM pg_index i WHERE i.indrelid = 'verifact.api_requests'::regclass`;
            const before = (await indexes.execute(trx)).rows[0] as { n: number };
            const answer = await sql<{
              used: string;
            }>`SELECT * FROM verifact.consume_request(${id}, ${tenant_id}, 'test', 1000, 86400)`.execute(trx);
            const afterwards = (await indexes.execute(trx)).rows[0] as { n: number };
            return { read: afterwards.n - before.n, used: Number(answer.rows[0]?.used) };
          }),
        );
    const steady = await entriesRead();
    assert.equal(steady.used, 300);
    assert.ok(steady.read <= 5, `read ${steady.read} index entries`);
    // When 250 leave the window, the next call takes them out of it. Their old index entries (two
    // each here: aging a row moves it in the index too) stay until a scan can mark them dead (not
    // while another session's snapshot may still see them) or vacuum removes them, so until then a
    // call may pass over them again: bounded by what left the window, never by the whole log.
    await age(key, 250);
    const sweeping = await entriesRead();
    assert.equal(sweeping.used, 51);
    const next = await entriesRead();
    assert.equal(next.used, 52);
    assert.ok(sweeping.read <= 4 * 250 + 10, `sweep read ${sweeping.read} entries`);
    assert.ok(next.read <= 4 * 250 + 10, `next call read ${next.read} entries`);
    await sql`VACUUM verifact.api_requests`.execute(db());
    const steadyAgain = await entriesRead();
    assert.equal(steadyAgain.used, 53);
    assert.ok(steadyAgain.read <= 5, `read ${steadyAgain.read} entries`);
  });
});

describe("the tenant's claim clock and the request log", () => {
  test("a claim write holding the tenant's clock does not hold up the tenant's other requests", async () => {
    const key = await tenant.key('claims:read');
    const { claimRepository, database } = h.deps();
    await database.kysely.transaction().execute(async (trx) => {
      // What a claim create or PATCH holds until it commits.
      await claimRepository.lockTenantClock(trx, tenant.id);
      const { rows } = await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(trx);
      const holder = rows[0]!.pid;
      // A counted request of the same tenant: it logs a row referencing the tenant.
      let answered = false;
      const request = plan(key).then((response) => {
        answered = true;
        return response.statusCode;
      });
      // Whether some backend waits for the holder's locks (the request would then wait until the
      // transaction ends, which waits for the request: never).
      const waitingOnHolder = (async () => {
        while (!answered) {
          const waiting =
            await sql`SELECT 1 FROM pg_stat_activity WHERE ${holder} = ANY(pg_blocking_pids(pid))`.execute(
              db(),
            );
          if (waiting.rows.length > 0) return 'waiting on the claim write';
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        return 'answered';
      })();
      assert.equal(await Promise.race([request, waitingOnHolder]), 200);
      await waitingOnHolder;
    });
  });
});
