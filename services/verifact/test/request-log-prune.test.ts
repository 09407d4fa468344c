import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { hashApiKey } from '@trustplane/kernel';
import { sql } from 'kysely';
import { PRUNE_REQUEST_LOG_QUEUE, PRUNE_REQUEST_LOG_SCHEDULE } from '../src/jobs/prune-request-log.js';
import { Harness, type TestTenant } from './support/harness.js';

let h: Harness;
let tenant: TestTenant;

before(async () => {
  h = await Harness.boot({ VERIFACT_REQUEST_LOG_RETENTION_DAYS: '30' }, { workers: true });
  tenant = await h.tenant();
});
after(() => h?.close());

const plan = (key: string) => h.call({ method: 'GET', url: '/api/v1/plan', key });

/** Moves every logged request of a key `hours` into the past. */
async function age(key: string, hours: number) {
  await sql`UPDATE verifact.api_requests SET created_at = clock_timestamp() - make_interval(hours => ${hours})
            WHERE key_id = (SELECT id FROM verifact.api_keys WHERE key_hash = ${hashApiKey(key)})`.execute(
    h.deps().database.kysely,
  );
}

async function logged(): Promise<number> {
  const row = await h
    .deps()
    .database.kysely.selectFrom('api_requests')
    .select((eb) => eb.fn.countAll<string>().as('count'))
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

/** Runs the prune job through pg-boss, as the schedule does, and waits for it to complete. */
async function runPrune(): Promise<void> {
  const jobs = h.booted.context.jobs;
  const id = await jobs.send(h.deps().jobs.pruneRequestLog, {});
  assert.ok(id);
  for (let waited = 0; ; waited += 100) {
    const job = await jobs.boss.getJobById(PRUNE_REQUEST_LOG_QUEUE, id as string);
    if (job?.state === 'completed') return;
    assert.notEqual(job?.state, 'failed');
    if (waited > 60_000) throw new Error('prune job did not complete');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('request log pruning', () => {
  test('is scheduled hourly with the workers', async () => {
    const schedules = await h.booted.context.jobs.boss.getSchedules();
    const schedule = schedules.find((entry) => entry.name === PRUNE_REQUEST_LOG_QUEUE);
    assert.equal(schedule?.cron, PRUNE_REQUEST_LOG_SCHEDULE);
  });

  test('keeps the sliding window whole and the retention; deletes what is past it', async () => {
    const key = await tenant.key('claims:read', { dailyLimit: 2 });
    assert.equal((await plan(key)).statusCode, 200);
    assert.equal((await plan(key)).statusCode, 200);
    assert.equal((await plan(key)).statusCode, 429);
    // 23 h old: still in the window, so still counted after a prune.
    await age(key, 23);
    await runPrune();
    assert.equal((await plan(key)).statusCode, 429);
    // 20 days old: out of the window (the key may call again) but inside the 30-day retention.
    await age(key, 20 * 24);
    const before = await logged();
    await runPrune();
    assert.equal(await logged(), before);
    const allowed = await plan(key);
    assert.equal(allowed.statusCode, 200);
    assert.equal(allowed.headers['x-ratelimit-remaining'], '1');
    // Past the retention: deleted; the request just made stays.
    await age(key, 31 * 24);
    await sql`UPDATE verifact.api_requests SET created_at = clock_timestamp()
              WHERE id = (SELECT max(id) FROM verifact.api_requests)`.execute(h.deps().database.kysely);
    await runPrune();
    assert.equal(await logged(), before - 2 + 1);
    const remaining = await plan(key);
    assert.equal(remaining.headers['x-ratelimit-remaining'], '0');
  });
});
