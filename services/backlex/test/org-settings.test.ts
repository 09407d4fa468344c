import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BacklexHarness, type TestOrg, type TestUser } from './support/backlex.js';

let h: BacklexHarness;
before(async () => {
  // As in production: a webhook URL on a private address is refused.
  h = await BacklexHarness.boot({ env: { TRUSTPLANE_ALLOW_PRIVATE_WEBHOOKS: '0' } });
});
after(async () => h?.close());

describe('PATCH /org/{slug}', () => {
  let owner: TestUser;
  let org: TestOrg;
  before(async () => {
    owner = await h.user();
    org = await h.org(owner, { residency: 'eu' });
  });

  test('renames and moves the default region within the residency; the slug stays', async () => {
    const response = await h.inject({
      method: 'PATCH',
      url: `/api/org/${org.slug}`,
      as: owner,
      payload: { name: 'Renamed Org', defaultRegion: 'ams' },
    });
    assert.equal(response.statusCode, 200, response.body);
    assert.equal(response.json().org.name, 'Renamed Org');
    assert.equal(response.json().org.defaultRegion, 'ams');
    assert.equal(response.json().org.slug, org.slug);
    const outside = await h.inject({
      method: 'PATCH',
      url: `/api/org/${org.slug}`,
      as: owner,
      payload: { defaultRegion: 'iad' },
    });
    assert.equal(outside.statusCode, 422, outside.body);
    assert.equal(outside.json().error.details[0].path, 'defaultRegion');
  });

  test('webhookUrl: non-http(s) and literal private targets are 422; a public URL is stored; null clears it', async () => {
    for (const url of [
      'ftp://example.com/hook',
      'http://10.0.0.5/hook',
      'http://127.0.0.1:9/x',
      'http://[::1]/x',
    ]) {
      const response = await h.inject({
        method: 'PATCH',
        url: `/api/org/${org.slug}`,
        as: owner,
        payload: { webhookUrl: url },
      });
      assert.equal(response.statusCode, 422, `${url}: ${response.body}`);
    }
    const set = await h.inject({
      method: 'PATCH',
      url: `/api/org/${org.slug}`,
      as: owner,
      payload: { webhookUrl: 'https://hooks.example.com/backlex' },
    });
    assert.equal(set.statusCode, 200, set.body);
    assert.equal(set.json().org.webhookUrl, 'https://hooks.example.com/backlex');
    const cleared = await h.inject({
      method: 'PATCH',
      url: `/api/org/${org.slug}`,
      as: owner,
      payload: { webhookUrl: null },
    });
    assert.equal(cleared.json().org.webhookUrl, null);
  });

  test('ipAllowlist: bad entries are 422 naming each; a list excluding the caller is 409; then enforced on every org route', async () => {
    const bad = await h.inject({
      method: 'PATCH',
      url: `/api/org/${org.slug}`,
      as: owner,
      payload: { ipAllowlist: ['10.0.0.0/33', 'not-an-ip', '192.0.2.1'] },
    });
    assert.equal(bad.statusCode, 422, bad.body);
    assert.deepEqual(
      bad.json().error.details.map((detail: { path: string }) => detail.path),
      ['ipAllowlist.0', 'ipAllowlist.1'],
    );
    const excluding = await h.inject({
      method: 'PATCH',
      url: `/api/org/${org.slug}`,
      as: owner,
      payload: { ipAllowlist: ['203.0.113.0/24'] },
    });
    assert.equal(excluding.statusCode, 409, excluding.body);
    assert.equal(excluding.json().error.code, 'IP_NOT_ALLOWLISTED');
    const unchanged = await h.inject({ method: 'GET', url: `/api/org/${org.slug}/members`, as: owner });
    assert.equal(unchanged.statusCode, 200);

    const including = await h.inject({
      method: 'PATCH',
      url: `/api/org/${org.slug}`,
      as: owner,
      payload: { ipAllowlist: [owner.ip, '203.0.113.0/24', '2001:db8::/32'] },
    });
    assert.equal(including.statusCode, 200, including.body);
    assert.deepEqual(including.json().org.ipAllowlist, [owner.ip, '203.0.113.0/24', '2001:db8::/32']);
    for (const ip of ['203.0.113.77', '2001:db8::5']) {
      const inside = await h.inject({
        method: 'GET',
        url: `/api/org/${org.slug}/members`,
        as: { ...owner, ip },
      });
      assert.equal(inside.statusCode, 200, `${ip}: ${inside.body}`);
    }
    for (const [method, url] of [
      ['GET', `/api/org/${org.slug}/members`],
      ['PATCH', `/api/org/${org.slug}`],
      ['DELETE', `/api/org/${org.slug}`],
    ] as const) {
      const outside = await h.inject({
        method,
        url,
        as: { ...owner, ip: '192.0.2.10' },
        ...(method === 'PATCH' ? { payload: { ipAllowlist: [] } } : {}),
      });
      assert.equal(outside.statusCode, 403, `${method} ${url}: ${outside.body}`);
      assert.equal(outside.json().error.code, 'FORBIDDEN');
    }
    // Still there: the DELETE from outside changed nothing.
    const reopened = await h.inject({
      method: 'PATCH',
      url: `/api/org/${org.slug}`,
      as: owner,
      payload: { ipAllowlist: [] },
    });
    assert.equal(reopened.statusCode, 200, reopened.body);
    assert.deepEqual(reopened.json().org.ipAllowlist, []);
    const anywhere = await h.inject({
      method: 'GET',
      url: `/api/org/${org.slug}/members`,
      as: { ...owner, ip: '192.0.2.10' },
    });
    assert.equal(anywhere.statusCode, 200);
  });

  test('a stranger gets 404 on PATCH and DELETE', async () => {
    const stranger = await h.user();
    const patch = await h.inject({
      method: 'PATCH',
      url: `/api/org/${org.slug}`,
      as: stranger,
      payload: { name: 'Mine now' },
    });
    assert.equal(patch.statusCode, 404, patch.body);
    const remove = await h.inject({ method: 'DELETE', url: `/api/org/${org.slug}`, as: stranger });
    assert.equal(remove.statusCode, 404, remove.body);
  });
});

describe('DELETE /org/{slug}', () => {
  test('the owner deletes: ok, then 404 everywhere, gone from /orgs, org.deleted in the outbox, the slug never reused', async () => {
    const owner = await h.user();
    const org = await h.org(owner, { name: 'Doomed Org' });
    const response = await h.inject({ method: 'DELETE', url: `/api/org/${org.slug}`, as: owner });
    assert.equal(response.statusCode, 200, response.body);
    assert.deepEqual(response.json(), { ok: true });
    for (const [method, url] of [
      ['GET', `/api/org/${org.slug}/members`],
      ['PATCH', `/api/org/${org.slug}`],
      ['DELETE', `/api/org/${org.slug}`],
    ] as const) {
      const after = await h.inject({
        method,
        url,
        as: owner,
        ...(method === 'PATCH' ? { payload: { name: 'Back' } } : {}),
      });
      assert.equal(after.statusCode, 404, `${method} ${url}: ${after.body}`);
    }
    const orgs = await h.inject({ method: 'GET', url: '/api/orgs', as: owner });
    assert.equal(
      orgs.json().orgs.some((entry: { id: string }) => entry.id === org.id),
      false,
    );
    const { rows } = await h.service.booted.context
      .database()
      .pool.query('SELECT type, payload FROM org_event_outbox WHERE organization_id = $1', [org.id]);
    assert.deepEqual(
      rows.map((row) => row.type),
      ['org.deleted'],
    );
    assert.equal(rows[0].payload.org.slug, org.slug);
    const again = await h.org(owner, { name: 'Doomed Org' });
    assert.notEqual(again.slug, org.slug);
  });
});
