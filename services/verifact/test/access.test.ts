import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { Harness, type TestTenant } from './support/harness.js';

let h: Harness;
let tenant: TestTenant;

before(async () => {
  h = await Harness.boot();
  tenant = await h.tenant();
});
after(() => h?.close());

describe('keys', () => {
  test('key create prints tm_<tier>_… once; only its SHA-256 is stored', async () => {
    const gold = await h.tenant({ tier: 'gold' });
    const minted = await h.command('key create', { tenant: gold.code, scopes: 'claims:read' });
    const key = String(minted.key);
    assert.match(key, /^tm_gold_[0-9A-Za-z]{43}$/);
    const rows = await h.deps().database.kysely.selectFrom('api_keys').selectAll().execute();
    assert.ok(rows.every((row) => !JSON.stringify(row).includes(key.slice(8))));
    const listed = await h.command('key list', { tenant: gold.code });
    assert.ok(!JSON.stringify(listed).includes(key));
  });

  test('missing, malformed and unknown keys are 401 in the seed envelope', async () => {
    for (const authorization of [undefined, 'Basic abc', 'Bearer tm_pilot_nope', `Bearer ${tenant.admin}x`]) {
      const response = await h.call({
        method: 'GET',
        url: '/api/v1/plan',
        headers: authorization ? { authorization } : {},
      });
      assert.equal(response.statusCode, 401);
      assert.equal(response.json().code, 'UNAUTHORIZED');
      assert.equal(typeof response.json().error, 'string');
    }
  });

  test('a revoked key is refused at once', async () => {
    const key = await tenant.key('claims:read');
    assert.equal((await h.call({ method: 'GET', url: '/api/v1/plan', key })).statusCode, 200);
    const prefix = key.slice(0, 'tm_pilot_'.length + 2);
    const listed = (await h.command('key list', { tenant: tenant.code })) as {
      keys: { id: string; prefix: string }[];
    };
    const id = listed.keys.find((entry) => key.startsWith(entry.prefix) && entry.prefix === prefix)?.id;
    assert.ok(id);
    await h.command('key revoke', { id: id as string });
    const refused = await h.call({ method: 'GET', url: '/api/v1/plan', key });
    assert.equal(refused.statusCode, 401);
  });

  test('a key without the scope gets 403 naming the scope; admin passes everything', async () => {
    const verifyOnly = await tenant.key('verify');
    const refused = await h.call({ method: 'GET', url: '/api/v1/usage', key: verifyOnly });
    assert.equal(refused.statusCode, 403);
    assert.deepEqual(
      { code: refused.json().code, scope: refused.json().scope },
      { code: 'INSUFFICIENT_SCOPE', scope: 'claims:read' },
    );
    const admin = await h.call({ method: 'GET', url: '/api/v1/usage', key: tenant.admin });
    assert.equal(admin.statusCode, 200);
  });

  test('keyed JSON successes carry _meta with the tenant code and key prefix', async () => {
    const key = await tenant.key('claims:read');
    const response = await h.call({ method: 'GET', url: '/api/v1/plan', key });
    const meta = response.json()._meta;
    assert.equal(meta.apiVersion, 'v1');
    assert.equal(meta.tenant, tenant.code);
    assert.equal(meta.keyPrefix, key.slice(0, 11));
    assert.match(meta.keyPrefix, /^tm_pilot_[0-9A-Za-z]{2}$/);
  });
});

describe('scope matrix', () => {
  // Every keyed operation of the seed with the scopes that open it (`any` = any key of the tenant)
  // and the scope its 403 names. Allowed calls carry no valid body or id: they answer 400/404.
  const operations: {
    method: 'GET' | 'POST' | 'PATCH';
    url: string;
    opens: string[] | 'any';
    names?: string;
  }[] = [
    { method: 'POST', url: '/api/v1/verify', opens: ['verify'] },
    { method: 'POST', url: '/api/v1/triage', opens: ['verify'] },
    { method: 'GET', url: '/api/v1/triage/trg_unknown', opens: 'any' },
    { method: 'GET', url: '/api/v1/claims?status=nope', opens: ['claims:read'] },
    { method: 'POST', url: '/api/v1/claims', opens: ['claims:write'] },
    { method: 'GET', url: '/api/v1/claims/clm_unknown', opens: ['claims:read'] },
    { method: 'PATCH', url: '/api/v1/claims/clm_unknown', opens: ['claims:write'] },
    { method: 'POST', url: '/api/v1/photos', opens: ['photos:write'] },
    { method: 'GET', url: '/api/v1/report/clm_unknown', opens: ['report'] },
    { method: 'GET', url: '/api/v1/jobs', opens: ['jobs'] },
    { method: 'GET', url: '/api/v1/usage?from=nope', opens: ['claims:read'] },
    { method: 'GET', url: '/api/v1/photos/pho_unknown/download', opens: ['claims:read'] },
    { method: 'GET', url: '/api/v1/plan', opens: ['claims:read'] },
    {
      method: 'GET',
      url: '/api/v1/users?role=nope',
      opens: ['claims:read', 'claims:write', 'users:write'],
      names: 'claims:read',
    },
    { method: 'POST', url: '/api/v1/users', opens: ['users:write'] },
    { method: 'GET', url: '/api/v1/users/usr_unknown', opens: 'any' },
    { method: 'PATCH', url: '/api/v1/users/usr_unknown', opens: ['users:write'] },
  ];
  const scopes = [
    'verify',
    'claims:read',
    'claims:write',
    'photos:write',
    'report',
    'jobs',
    'users:write',
    'admin',
  ];

  test('each scope opens exactly its operations; a 403 names the scope; admin opens all', async () => {
    const keys = Object.fromEntries(
      await Promise.all(scopes.map(async (scope) => [scope, await tenant.key(scope)])),
    );
    for (const operation of operations) {
      for (const scope of scopes) {
        const response = await h.call({
          method: operation.method,
          url: operation.url,
          key: keys[scope],
          ...(operation.method === 'GET' ? {} : { payload: {} }),
        });
        const label = `${operation.method} ${operation.url} with ${scope}: ${response.statusCode} ${response.body}`;
        const opens = scope === 'admin' || operation.opens === 'any' || operation.opens.includes(scope);
        if (opens) {
          assert.ok([200, 400, 404].includes(response.statusCode), label);
        } else {
          assert.equal(response.statusCode, 403, label);
          assert.deepEqual(
            [response.json().code, response.json().scope],
            ['INSUFFICIENT_SCOPE', operation.names ?? (operation.opens as string[])[0]],
            label,
          );
        }
      }
    }
    // The attestation key is public.
    assert.notEqual((await h.call({ method: 'GET', url: '/api/v1/attestation-key' })).statusCode, 401);
  });
});

describe('rate limit', () => {
  test('a sliding 24 h window per key: headers, 429 with Retry-After until a slot frees', async () => {
    const key = await tenant.key('claims:read', { dailyLimit: 3 });
    const remaining: string[] = [];
    for (let index = 0; index < 3; index += 1) {
      const response = await h.call({ method: 'GET', url: '/api/v1/plan', key });
      assert.equal(response.statusCode, 200);
      assert.equal(response.headers['x-ratelimit-limit'], '3');
      remaining.push(String(response.headers['x-ratelimit-remaining']));
    }
    assert.deepEqual(remaining, ['2', '1', '0']);
    const limited = await h.call({ method: 'GET', url: '/api/v1/plan', key });
    assert.equal(limited.statusCode, 429);
    assert.equal(limited.json().code, 'RATE_LIMITED');
    const retryAfter = Number(limited.headers['retry-after']);
    assert.ok(retryAfter > 86_000 && retryAfter <= 86_400, String(retryAfter));

    // The oldest request is now 30 s short of leaving the window: one slot frees in 30 s.
    const db = h.deps().database.kysely;
    const keyRow = await db
      .selectFrom('api_keys')
      .select('id')
      .where('display_prefix', '=', key.slice(0, 11))
      .orderBy('created_at', 'desc')
      .executeTakeFirstOrThrow();
    const oldest = await db
      .selectFrom('api_requests')
      .select('id')
      .where('key_id', '=', keyRow.id)
      .orderBy('created_at')
      .limit(1)
      .executeTakeFirstOrThrow();
    await db
      .updateTable('api_requests')
      .set({ created_at: sql`clock_timestamp() - interval '24 hours' + interval '30 seconds'` })
      .where('id', '=', oldest.id)
      .execute();
    const soon = await h.call({ method: 'GET', url: '/api/v1/plan', key });
    assert.equal(soon.statusCode, 429);
    const wait = Number(soon.headers['retry-after']);
    assert.ok(wait >= 1 && wait <= 30, String(wait));

    // Once it has left the window, exactly one more request fits.
    await db
      .updateTable('api_requests')
      .set({ created_at: sql`clock_timestamp() - interval '25 hours'` })
      .where('id', '=', oldest.id)
      .execute();
    assert.equal((await h.call({ method: 'GET', url: '/api/v1/plan', key })).statusCode, 200);
    assert.equal((await h.call({ method: 'GET', url: '/api/v1/plan', key })).statusCode, 429);
  });

  test('concurrent requests of one key are counted exactly: 30 at once against a limit of 7', async () => {
    const key = await tenant.key('claims:read', { dailyLimit: 7 });
    const responses = await Promise.all(
      Array.from({ length: 30 }, () => h.call({ method: 'GET', url: '/api/v1/plan', key })),
    );
    const statuses = responses.map((response) => response.statusCode).sort();
    assert.deepEqual(statuses, [...Array(7).fill(200), ...Array(23).fill(429)]);
    const remaining = responses
      .filter((response) => response.statusCode === 200)
      .map((response) => Number(response.headers['x-ratelimit-remaining']))
      .sort();
    assert.deepEqual(remaining, [0, 1, 2, 3, 4, 5, 6]);
  });

  test('only operations whose seed entry lists 429 are counted: users and GET /triage/{id} are not', async () => {
    const key = await tenant.key('admin', { dailyLimit: 1 });
    const user = await tenant.user('siu');
    const uncounted = async () => {
      const answers = [
        await h.call({ method: 'GET', url: '/api/v1/users', key }),
        await h.call({ method: 'GET', url: `/api/v1/users/${user}`, key }),
        await h.call({ method: 'PATCH', url: `/api/v1/users/${user}`, key, payload: { district: 'Pune' } }),
        await h.call({
          method: 'POST',
          url: '/api/v1/users',
          key,
          payload: { email: `uncounted-${Date.now()}-${Math.random()}@example.com`, name: 'U', role: 'siu' },
        }),
        await h.call({ method: 'GET', url: '/api/v1/triage/trg_unknown', key }),
      ];
      return answers.map((answer) => [answer.statusCode, answer.headers['x-ratelimit-remaining']]);
    };
    const expected = [
      [200, undefined],
      [200, undefined],
      [200, undefined],
      [201, undefined],
      [404, undefined],
    ];
    assert.deepEqual(await uncounted(), expected);
    // The one counted slot is still free, then the window is full, and the others still answer.
    assert.equal((await h.call({ method: 'GET', url: '/api/v1/plan', key })).statusCode, 200);
    assert.equal((await h.call({ method: 'GET', url: '/api/v1/plan', key })).statusCode, 429);
    assert.deepEqual(await uncounted(), expected);
  });

  test('counting commits without waiting for the disk, and only its own transaction does', async () => {
    const key = await tenant.key('claims:read', { dailyLimit: 5 });
    assert.equal((await h.call({ method: 'GET', url: '/api/v1/plan', key })).statusCode, 200);
    const db = h.deps().database.kysely;
    const keyRow = await db
      .selectFrom('api_keys')
      .select(['id', 'tenant_id'])
      .where('display_prefix', '=', key.slice(0, 11))
      .orderBy('created_at', 'desc')
      .executeTakeFirstOrThrow();
    await db.connection().execute(async (connection) => {
      const setting = async () =>
        (
          await sql<{ value: string }>`SELECT current_setting('synchronous_commit') AS value`.execute(
            connection,
          )
        ).rows[0]?.value;
      const before = await setting();
      assert.notEqual(before, 'off');
      await connection.transaction().execute(async (trx) => {
        await sql`SELECT * FROM consume_request(${keyRow.id}, ${keyRow.tenant_id}, 'test', 5, 86400)`.execute(
          trx,
        );
        // The setting the commit of the counting transaction uses.
        const during = await sql<{
          value: string;
        }>`SELECT current_setting('synchronous_commit') AS value`.execute(trx);
        assert.equal(during.rows[0]?.value, 'off');
      });
      // Metering and every other write on the connection still commit durably.
      assert.equal(await setting(), before);
    });
    // The count is exact all the same: the request made here took one more slot.
    const next = await h.call({ method: 'GET', url: '/api/v1/plan', key });
    assert.equal(next.headers['x-ratelimit-remaining'], '2');
  });

  test('limits are per key: another key of the tenant is unaffected', async () => {
    const first = await tenant.key('claims:read', { dailyLimit: 1 });
    const second = await tenant.key('claims:read', { dailyLimit: 1 });
    assert.equal((await h.call({ method: 'GET', url: '/api/v1/plan', key: first })).statusCode, 200);
    assert.equal((await h.call({ method: 'GET', url: '/api/v1/plan', key: first })).statusCode, 429);
    assert.equal((await h.call({ method: 'GET', url: '/api/v1/plan', key: second })).statusCode, 200);
  });
});

describe('errors and tenants', () => {
  test('bad query values are 400 in the envelope, also where the seed lists no 400', async () => {
    const response = await h.call({ method: 'GET', url: '/api/v1/usage?from=yesterday', key: tenant.admin });
    assert.equal(response.statusCode, 400);
    assert.equal(response.json().code, 'VALIDATION_ERROR');
    assert.match(response.json().error, /from/);
    const reversed = await h.call({
      method: 'GET',
      url: '/api/v1/usage?from=2026-02-01&to=2026-01-01',
      key: tenant.admin,
    });
    assert.equal(reversed.statusCode, 400);
  });

  test('tenant update changes the plan a key sees; plans never cross tenants', async () => {
    const other = await h.tenant({ capLimit: '7', capMode: 'soft' });
    await h.command('tenant update', { code: tenant.code, pricePerClaim: '1499.55', capLimit: '12' });
    const mine = (await h.call({ method: 'GET', url: '/api/v1/plan', key: tenant.admin })).json();
    assert.equal(mine.pricePerClaim, 1499.55);
    assert.equal(mine.monthlyCap.limit, 12);
    assert.equal(mine.tenant.insurerCode, tenant.code);
    const theirs = (await h.call({ method: 'GET', url: '/api/v1/plan', key: other.admin })).json();
    assert.deepEqual(
      [theirs.monthlyCap.limit, theirs.monthlyCap.mode, theirs.tenant.insurerCode],
      [7, 'soft', other.code],
    );
    await assert.rejects(h.command('tenant update', { code: tenant.code, capMode: 'never' }), /cap-mode/);
    await assert.rejects(h.command('tenant create', { code: tenant.code, name: 'again' }), /already exists/);
  });
});
