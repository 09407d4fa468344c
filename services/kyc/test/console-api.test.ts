/**
 * The operator console's server side: the page routes, and the extensions of the dashboard API it
 * needs (list filters + paging, per-document heatmap URLs, the audit chain's state, and the review
 * conflict). The console itself is driven in headless Chromium by console.test.ts.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { CONSOLE_DIR } from '../src/console/console-build.js';
import { Harness } from './helpers.js';

let h: Harness;
before(async () => {
  h = await Harness.boot();
});
after(async () => {
  await h?.close();
});

const list = async (cookie: string, query = '') => {
  const response = await h.call({
    method: 'GET',
    url: `/api/dashboard/verifications${query}`,
    headers: { cookie },
  });
  assert.equal(response.statusCode, 200, response.body);
  return response.json() as {
    items: {
      session: { id: string; externalUserId: string | null; reviewStatus: string; riskLabel: string | null };
    }[];
    nextOffset: number | null;
  };
};
const ids = (body: Awaited<ReturnType<typeof list>>) => body.items.map((item) => item.session.externalUserId);

describe('console pages', () => {
  it('serves the console at /dashboard…, /login and /signup under a strict CSP; / redirects to /dashboard', async () => {
    const root = await h.app.inject({ method: 'GET', url: '/' });
    assert.equal(root.statusCode, 302);
    assert.equal(root.headers.location, '/dashboard');
    for (const url of [
      '/dashboard',
      '/dashboard/keys',
      '/dashboard/verifications/abc',
      '/login',
      '/signup',
    ]) {
      const page = await h.app.inject({ method: 'GET', url });
      assert.equal(page.statusCode, 200, url);
      assert.match(String(page.headers['content-type']), /text\/html/);
      assert.match(String(page.headers['content-security-policy']), /script-src 'self';style-src 'self'/);
      assert.equal(page.headers['cache-control'], 'no-store');
      assert.doesNotMatch(page.body, /<script(?![^>]*\bsrc=)[^>]*>/);
      assert.doesNotMatch(page.body, /<style|style="/);
      const assets = [...page.body.matchAll(/(?:src|href)="\/console\/assets\/([^"]+)"/g)].map((m) => m[1]);
      assert.ok(
        assets.some((name) => name?.endsWith('.js')) && assets.some((name) => name?.endsWith('.css')),
        page.body,
      );
      for (const asset of assets) {
        const file = await h.app.inject({ method: 'GET', url: `/console/assets/${asset}` });
        assert.equal(file.statusCode, 200, asset);
        assert.equal(file.headers['cache-control'], 'public, max-age=31536000, immutable');
      }
    }
    assert.equal(
      (await h.app.inject({ method: 'GET', url: '/console/assets/..%2Findex.html' })).statusCode,
      404,
    );
    // The API keeps answering JSON: an unknown API path is not the console.
    const api = await h.app.inject({ method: 'GET', url: '/api/dashboard/nothing' });
    assert.notEqual(api.headers['content-type'], 'text/html; charset=utf-8');
  });
});

describe('dashboard list filters (extension)', () => {
  it('narrows by organization, status, risk and externalUserId, pages newest first, and never shows another tenant', async () => {
    const a = await h.tenant();
    const other = await h.tenant();
    // A second organization of the same operator, with its own key.
    const secondOrg = await h.organization(a.cookie);
    const secondKeys = await h.keys(a.cookie, secondOrg);
    for (const name of ['user-1', 'user-2', 'user_3', 'USER-4'])
      await h.session(a.sk, { externalUserId: name });
    await h.session(secondKeys.sk, { externalUserId: 'user-second-org' });
    await h.session(other.sk, { externalUserId: 'user-other-tenant' });
    h.scripted.next = { mrzValid: false };
    const rejected = await h.completedCapture(a.sk, { externalUserId: 'user-rejected' });
    h.scripted.next = {};

    assert.deepEqual(ids(await list(a.cookie)), [
      'user-rejected',
      'user-second-org',
      'USER-4',
      'user_3',
      'user-2',
      'user-1',
    ]);
    assert.deepEqual(ids(await list(a.cookie, `?organizationId=${secondOrg}`)), ['user-second-org']);
    assert.deepEqual(ids(await list(a.cookie, `?organizationId=${other.organizationId}`)), []);
    assert.deepEqual(ids(await list(a.cookie, '?reviewStatus=rejected')), ['user-rejected']);
    assert.deepEqual(ids(await list(a.cookie, '?riskLabel=high')), ['user-rejected']);
    assert.equal((await list(a.cookie, '?riskLabel=none')).items.length, 5);
    // Case-insensitive substring; `_` is a literal underscore, not LIKE's wildcard.
    assert.deepEqual(ids(await list(a.cookie, '?externalUserId=user-4')), ['USER-4']);
    assert.deepEqual(ids(await list(a.cookie, '?externalUserId=r_')), ['user_3']);
    assert.deepEqual(ids(await list(a.cookie, '?externalUserId=other-tenant')), []);

    const first = await list(a.cookie, `?organizationId=${a.organizationId}&limit=2`);
    assert.deepEqual(ids(first), ['user-rejected', 'USER-4']);
    assert.equal(first.nextOffset, 2);
    const last = await list(a.cookie, `?organizationId=${a.organizationId}&limit=2&offset=4`);
    assert.deepEqual(ids(last), ['user-1']);
    assert.equal(last.nextOffset, null);
    assert.equal(rejected.sessionId.length, 36);

    for (const bad of [
      '?limit=0',
      '?limit=501',
      '?riskLabel=purple',
      '?reviewStatus=done',
      '?organizationId=x',
      '?offset=-1',
    ]) {
      const response = await h.call({
        method: 'GET',
        url: `/api/dashboard/verifications${bad}`,
        headers: { cookie: a.cookie },
        skipContract: true, // the seed's list takes no parameters, so documents no 400
      });
      assert.equal(response.statusCode, 400, bad);
      assert.equal(response.json().error, 'VALIDATION_ERROR');
    }
  });
});

describe('verification detail extensions', () => {
  it('gives each analysed document its own ELA and moiré heatmap URLs, which serve the stored PNGs', async () => {
    const t = await h.tenant();
    const s = await h.completedCapture(t.sk);
    const detail = await h.call({
      method: 'GET',
      url: `/api/dashboard/verifications/${s.sessionId}`,
      headers: { cookie: t.cookie },
    });
    const [row] = detail.json().analysisResults;
    for (const key of ['elaHeatmapViewUrl', 'moireHeatmapViewUrl']) {
      const url = new URL(row[key]);
      const image = await h.app.inject({ method: 'GET', url: `${url.pathname}${url.search}` });
      assert.equal(image.statusCode, 200, key);
      assert.equal(image.headers['content-type'], 'image/png');
    }
  });

  it("verifies a session's audit trail against the chain; another tenant gets 404", async () => {
    const t = await h.tenant();
    const stranger = await h.tenant();
    const s = await h.completedCapture(t.sk);
    const chain = await h.call({
      method: 'GET',
      url: `/api/dashboard/verifications/${s.sessionId}/audit-chain`,
      skipContract: true, // extension route, not in the seed
      headers: { cookie: t.cookie },
    });
    assert.equal(chain.statusCode, 200, chain.body);
    const body = chain.json();
    const detail = await h.call({
      method: 'GET',
      url: `/api/dashboard/verifications/${s.sessionId}`,
      headers: { cookie: t.cookie },
    });
    const events = detail.json().auditEvents as { id: string }[];
    assert.equal(body.intact, true);
    assert.equal(body.checked, events.length);
    assert.ok(events.length >= 3);
    assert.deepEqual(
      body.events.map((event: { id: string }) => event.id),
      events.map((event) => event.id),
    );
    assert.ok(
      body.events.every(
        (event: { valid: boolean; hash: string }) => event.valid && /^[0-9a-f]{64}$/.test(event.hash),
      ),
    );
    for (const cookie of [stranger.cookie]) {
      const refused = await h.call({
        method: 'GET',
        url: `/api/dashboard/verifications/${s.sessionId}/audit-chain`,
        skipContract: true, // extension route, not in the seed
        headers: { cookie },
      });
      assert.equal(refused.statusCode, 404);
    }
    const anonymous = await h.call({
      method: 'GET',
      url: `/api/dashboard/verifications/${s.sessionId}/audit-chain`,
      skipContract: true,
    });
    assert.equal(anonymous.statusCode, 401);
  });

  it('reports an audit event altered behind the triggers as a broken chain', async () => {
    const t = await h.tenant();
    const s = await h.completedCapture(t.sk);
    // Someone with table-owner rights disables the trigger and edits the session's first event.
    const client = await h.kyc.database.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only');
      const updated = await client.query(
        `UPDATE audit_events SET rationale = 'edited'
          WHERE seq = (SELECT seq FROM audit_events WHERE session_id = $1 ORDER BY seq LIMIT 1)`,
        [s.sessionId],
      );
      assert.equal(updated.rowCount, 1);
      await client.query('ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only');
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    const chain = await h.call({
      method: 'GET',
      url: `/api/dashboard/verifications/${s.sessionId}/audit-chain`,
      skipContract: true, // extension route, not in the seed
      headers: { cookie: t.cookie },
    });
    const body = chain.json();
    assert.equal(body.intact, false);
    assert.equal(body.brokenEventId, body.events[0].id);
    assert.equal(body.events[0].valid, false);
  });
});

describe('review conflict (extension)', () => {
  it('refuses a review decided from a status another review changed (409 REVIEW_CONFLICT), changing nothing', async () => {
    const t = await h.tenant();
    const s = await h.completedCapture(t.sk);
    const review = (payload: Record<string, unknown>) =>
      h.call({
        method: 'POST',
        url: `/api/dashboard/verifications/${s.sessionId}/review`,
        headers: { cookie: t.cookie },
        payload,
        skipContract: true, // its 409 is an extension; the envelope is checked below
      });
    const first = await review({
      decision: 'approve',
      rationale: 'Documents checked by hand',
      expectedReviewStatus: 'pending',
    });
    assert.equal(first.statusCode, 200, first.body);
    const events = async () =>
      (
        await h.call({
          method: 'GET',
          url: `/api/dashboard/verifications/${s.sessionId}`,
          headers: { cookie: t.cookie },
        })
      ).json().auditEvents.length as number;
    const before = await events();
    const second = await review({
      decision: 'reject',
      rationale: 'Looks forged to me, rejecting',
      expectedReviewStatus: 'pending',
    });
    assert.equal(second.statusCode, 409, second.body);
    assert.equal(second.json().ok, false);
    assert.equal(second.json().error, 'REVIEW_CONFLICT');
    assert.match(second.json().message, /Another operator reviewed this verification.*now approved/);
    assert.equal(await events(), before);
    const detail = await h.call({
      method: 'GET',
      url: `/api/dashboard/verifications/${s.sessionId}`,
      headers: { cookie: t.cookie },
    });
    assert.equal(detail.json().session.reviewStatus, 'approved');
    // Deciding from the current status goes through; without the field the seed's behaviour holds.
    assert.equal(
      (
        await review({
          decision: 'reject',
          rationale: 'Second look: forged',
          expectedReviewStatus: 'approved',
        })
      ).statusCode,
      200,
    );
    assert.equal((await review({ decision: 'approve', rationale: 'Third look: genuine' })).statusCode, 200);
  });

  it('lets exactly one of two concurrent reviews from the same status through', async () => {
    const t = await h.tenant();
    const s = await h.completedCapture(t.sk);
    const results = await Promise.all(
      (['approve', 'reject'] as const).map((decision) =>
        h.call({
          method: 'POST',
          url: `/api/dashboard/verifications/${s.sessionId}/review`,
          headers: { cookie: t.cookie },
          payload: {
            decision,
            rationale: `Concurrent ${decision} decision`,
            expectedReviewStatus: 'pending',
          },
          skipContract: true, // its 409 is an extension
        }),
      ),
    );
    assert.deepEqual(results.map((r) => r.statusCode).sort(), [200, 409]);
  });
});

describe('console sources', () => {
  it('typecheck under console/tsconfig.json (DOM lib, Preact JSX; the root typecheck does not cover console/)', async () => {
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    const result = await promisify(execFile)(process.execPath, [
      tsc,
      '-p',
      path.join(CONSOLE_DIR, 'tsconfig.json'),
    ]).catch((error: { stdout?: string; code?: number }) => ({
      stdout: String(error.stdout),
      code: error.code,
    }));
    assert.equal('code' in result ? result.code : 0, 0, result.stdout);
  });
});
