import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { fixture } from './support/captures.js';
import { Harness, multipart, type TestTenant } from './support/harness.js';

let h: Harness;

before(async () => {
  h = await Harness.boot();
});
after(() => h?.close());

async function moveToReview(tenant: TestTenant, claimId: string) {
  return h.call({
    method: 'PATCH',
    url: `/api/v1/claims/${claimId}`,
    key: tenant.admin,
    payload: { status: 'under_review' },
  });
}

async function capNotices(tenantCode: string): Promise<number> {
  const result = await sql<{
    count: number;
  }>`select count(*)::int as count from platform.outbox where topic = 'verifact.cap.reached' and payload->>'tenant' = ${tenantCode}`.execute(
    h.deps().database.kysely,
  );
  return result.rows[0]?.count ?? 0;
}

describe('monthly cap', () => {
  test('hard: used ≥ limit → 402 with cap, nothing changes; no overshoot under concurrency', async () => {
    const tenant = await h.tenant({ capMode: 'hard', capLimit: '2' });
    const claims = await Promise.all(Array.from({ length: 5 }, () => tenant.claim()));
    const responses = await Promise.all(claims.map((claim) => moveToReview(tenant, claim.id)));
    const statuses = responses.map((response) => response.statusCode).sort();
    assert.deepEqual(statuses, [200, 200, 402, 402, 402]);
    const refused = responses.find((response) => response.statusCode === 402);
    assert.deepEqual([refused?.json().code, refused?.json().cap], ['MONTHLY_CLAIM_CAP_EXCEEDED', 2]);
    const pending = (
      await h.call({ method: 'GET', url: '/api/v1/claims?status=pending', key: tenant.admin })
    ).json();
    assert.equal(pending.meta.total, 3);
    const plan = (await h.call({ method: 'GET', url: '/api/v1/plan', key: tenant.admin })).json();
    assert.deepEqual(plan.monthlyCap, {
      mode: 'hard',
      limit: 2,
      used: 2,
      remaining: 0,
      overCap: true,
      blocked: true,
    });
    assert.match(plan.billingCycle, /^\d{4}-\d{2}$/);
    assert.equal(await capNotices(tenant.code), 1);
    // Other transitions and reads never 402.
    const approve = await h.call({
      method: 'PATCH',
      url: `/api/v1/claims/${responses.findIndex((r) => r.statusCode === 200) >= 0 ? claims[responses.findIndex((r) => r.statusCode === 200)]?.id : ''}`,
      key: tenant.admin,
      payload: { status: 'approved' },
    });
    assert.equal(approve.statusCode, 200);
    // Raising the limit lets the next one through.
    await h.command('tenant update', { code: tenant.code, capLimit: '3' });
    const pendingId = pending.data[0].id;
    assert.equal((await moveToReview(tenant, pendingId)).statusCode, 200);
    assert.equal((await moveToReview(tenant, pending.data[1].id)).statusCode, 402);
  });

  test('soft passes over the cap with Warning: 299; alert passes silently; one cap.reached a month', async () => {
    const soft = await h.tenant({ capMode: 'soft', capLimit: '1' });
    const [a, b, c] = await Promise.all([soft.claim(), soft.claim(), soft.claim()]);
    const first = await moveToReview(soft, a!.id);
    assert.equal(first.headers.warning, undefined);
    const over = await moveToReview(soft, b!.id);
    assert.equal(over.statusCode, 200);
    assert.match(String(over.headers.warning), /^299 /);
    assert.equal((await moveToReview(soft, c!.id)).statusCode, 200);
    assert.equal(await capNotices(soft.code), 1);
    const plan = (await h.call({ method: 'GET', url: '/api/v1/plan', key: soft.admin })).json();
    assert.deepEqual(
      [plan.monthlyCap.used, plan.monthlyCap.overCap, plan.monthlyCap.blocked],
      [3, true, false],
    );

    const alert = await h.tenant({ capMode: 'alert', capLimit: '1' });
    const [d, e] = await Promise.all([alert.claim(), alert.claim()]);
    assert.equal((await moveToReview(alert, d!.id)).statusCode, 200);
    const passed = await moveToReview(alert, e!.id);
    assert.deepEqual([passed.statusCode, passed.headers.warning], [200, undefined]);
    assert.equal(await capNotices(alert.code), 1);
  });

  test('unlimited cap: limit and remaining null', async () => {
    const tenant = await h.tenant({ capLimit: 'none' });
    const plan = (await h.call({ method: 'GET', url: '/api/v1/plan', key: tenant.admin })).json();
    assert.deepEqual(plan.monthlyCap, {
      mode: 'hard',
      limit: null,
      used: 0,
      remaining: null,
      overCap: false,
      blocked: false,
    });
  });
});

describe('usage and money', () => {
  test('events keep paise-exact unit prices; usage sums by event; billing close clears unbilled', async () => {
    const tenant = await h.tenant({ pricePerClaim: '1499.55' });
    const claim = await tenant.claim();
    await moveToReview(tenant, claim.id);
    for (let index = 0; index < 3; index += 1) {
      const form = multipart([{ name: 'photo', value: fixture('C.jpg'), filename: 'c.jpg' }]);
      assert.equal(
        (await h.call({ method: 'POST', url: '/api/v1/verify', key: tenant.admin, ...form })).statusCode,
        200,
      );
    }
    const usage = (await h.call({ method: 'GET', url: '/api/v1/usage', key: tenant.admin })).json();
    assert.deepEqual(usage.summary.byEvent, {
      api_verify: { count: 3, amount: 449.88 },
      claim_set_billed: { count: 1, amount: 1499.55 },
    });
    assert.equal(usage.summary.totalEvents, 4);
    assert.equal(usage.summary.totalAmount, 1949.43);
    assert.deepEqual([usage.unbilled.count, usage.unbilled.amount], [4, 1949.43]);
    assert.equal(usage.unbilled.events[0].unitPrice, 149.96);
    assert.equal(
      usage.unbilled.events.find((event: { event: string }) => event.event === 'claim_set_billed')
        .claimNumber,
      claim.claimNumber,
    );
    assert.equal(usage.tenant.pricePerClaim, 1499.55);

    // A later price change does not reprice past events.
    await h.command('tenant update', { code: tenant.code, pricePerClaim: '10' });
    const closed = (await h.command('billing close', { tenant: tenant.code })) as {
      runs: { events: number; amount: number }[];
    };
    assert.deepEqual(
      closed.runs.map((run) => [run.events, run.amount]),
      [[4, 1949.43]],
    );
    const after = (await h.call({ method: 'GET', url: '/api/v1/usage', key: tenant.admin })).json();
    assert.deepEqual(
      [after.summary.totalAmount, after.summary.unbilledEvents, after.unbilled.events.length],
      [1949.43, 0, 0],
    );

    // Inclusive UTC dates: a range ending yesterday holds none of today's events.
    const today = new Date().toISOString().slice(0, 10);
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    const past = (
      await h.call({
        method: 'GET',
        url: `/api/v1/usage?from=${yesterday}&to=${yesterday}`,
        key: tenant.admin,
      })
    ).json();
    assert.equal(past.summary.totalEvents, 0);
    const todayOnly = (
      await h.call({ method: 'GET', url: `/api/v1/usage?from=${today}&to=${today}`, key: tenant.admin })
    ).json();
    assert.equal(todayOnly.summary.totalEvents, 4);
    assert.equal(todayOnly.period.to, `${today}T23:59:59.999Z`);
  });

  test('per_year inside its window meters 0; triage and downloads are free', async () => {
    const now = Date.now();
    const tenant = await h.tenant({
      billingMode: 'per_year',
      annualStart: new Date(now - 86_400_000).toISOString(),
      annualEnd: new Date(now + 300 * 86_400_000).toISOString(),
    });
    const claim = await tenant.claim();
    await moveToReview(tenant, claim.id);
    const plan = (await h.call({ method: 'GET', url: '/api/v1/plan', key: tenant.admin })).json();
    assert.deepEqual([plan.billingMode, plan.annualPlan.active], ['per_year', true]);
    const usage = (await h.call({ method: 'GET', url: '/api/v1/usage', key: tenant.admin })).json();
    assert.deepEqual(usage.summary.byEvent.claim_set_billed, { count: 1, amount: 0 });
  });
});
