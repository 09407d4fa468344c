import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BacklexHarness, type TestUser } from './support/backlex.js';

let h: BacklexHarness;
before(async () => {
  h = await BacklexHarness.boot();
});
after(async () => h?.close());

describe('sign-up through better-auth', () => {
  test('sign-up mails a verification link; sign-in before it is refused, after it sets the session cookie', async () => {
    const user = await h.signUpUnverified();
    const early = await h.inject({
      method: 'POST',
      url: '/api/auth/sign-in/email',
      headers: { 'x-forwarded-for': user.ip },
      payload: { email: user.email, password: user.password },
      skipContract: true,
    });
    assert.equal(early.statusCode, 403, early.body);
    await h.verifyEmail(user.email, user.ip);
    const cookie = await h.signIn(user);
    const orgs = await h.inject({ method: 'GET', url: '/api/orgs', as: { ...user, cookie } });
    assert.equal(orgs.statusCode, 200, orgs.body);
    assert.deepEqual(orgs.json(), { orgs: [] });
  });
});

describe('POST /org and GET /orgs', () => {
  let owner: TestUser;
  before(async () => {
    owner = await h.user();
  });

  test('creates an org with a slug from the name, the caller as owner, plan free, global/iad by default', async () => {
    const response = await h.inject({
      method: 'POST',
      url: '/api/org',
      as: owner,
      payload: { name: 'Çağrı Şirketi' },
    });
    assert.equal(response.statusCode, 201, response.body);
    const { org } = response.json();
    assert.equal(org.slug, 'cagri-sirketi');
    assert.equal(org.planId, 'free');
    assert.equal(org.residency, 'global');
    assert.equal(org.defaultRegion, 'iad');
    assert.deepEqual(org.ipAllowlist, []);
    assert.equal(org.webhookUrl, null);
    assert.equal(org.status, 'active');
    const list = await h.inject({ method: 'GET', url: '/api/orgs', as: owner });
    const mine = list.json().orgs.find((entry: { id: string }) => entry.id === org.id);
    assert.equal(mine.role, 'owner');
  });
});

describe('org creation rules', () => {
  let owner: TestUser;
  before(async () => {
    owner = await h.user();
  });

  test('a taken slug gets a numeric suffix; the slug is ASCII', async () => {
    const first = await h.inject({
      method: 'POST',
      url: '/api/org',
      as: owner,
      payload: { name: 'Acme & Söhne' },
    });
    const second = await h.inject({
      method: 'POST',
      url: '/api/org',
      as: owner,
      payload: { name: 'ACME & söhne!' },
    });
    assert.equal(first.statusCode, 201, first.body);
    assert.equal(second.statusCode, 201, second.body);
    assert.equal(first.json().org.slug, 'acme-and-soehne');
    assert.equal(second.json().org.slug, 'acme-and-soehne-2');
  });

  test('a name with nothing to transliterate still gets a slug', async () => {
    const response = await h.inject({
      method: 'POST',
      url: '/api/org',
      as: owner,
      payload: { name: '東京' },
    });
    assert.equal(response.statusCode, 201, response.body);
    assert.match(response.json().org.slug, /^[a-z0-9-]+$/);
  });

  test('residency decides the regions: eu → fra by default, ams allowed; tr → ist; outside → 422', async () => {
    const eu = await h.inject({
      method: 'POST',
      url: '/api/org',
      as: owner,
      payload: { name: 'EU one', residency: 'eu' },
    });
    assert.equal(eu.json().org.defaultRegion, 'fra');
    const ams = await h.inject({
      method: 'POST',
      url: '/api/org',
      as: owner,
      payload: { name: 'EU two', residency: 'eu', defaultRegion: 'ams' },
    });
    assert.equal(ams.statusCode, 201, ams.body);
    assert.equal(ams.json().org.defaultRegion, 'ams');
    const tr = await h.inject({
      method: 'POST',
      url: '/api/org',
      as: owner,
      payload: { name: 'TR one', residency: 'tr' },
    });
    assert.equal(tr.json().org.defaultRegion, 'ist');
    const outside = await h.inject({
      method: 'POST',
      url: '/api/org',
      as: owner,
      payload: { name: 'TR two', residency: 'tr', defaultRegion: 'fra' },
    });
    assert.equal(outside.statusCode, 422, outside.body);
    assert.equal(outside.json().error.code, 'VALIDATION');
    assert.equal(outside.json().error.details[0].path, 'defaultRegion');
  });

  test('schema failures are 422 VALIDATION naming each field; bad JSON and other content types are 400', async () => {
    const invalid = await h.inject({
      method: 'POST',
      url: '/api/org',
      as: owner,
      payload: { name: 'x', residency: 'mars' },
    });
    assert.equal(invalid.statusCode, 422, invalid.body);
    const paths = invalid
      .json()
      .error.details.map((detail: { path: string }) => detail.path)
      .sort();
    assert.deepEqual(paths, ['name', 'residency']);
    const malformed = await h.inject({
      method: 'POST',
      url: '/api/org',
      as: owner,
      headers: { 'content-type': 'application/json' },
      payload: '{"name":',
    });
    assert.equal(malformed.statusCode, 400, malformed.body);
    assert.equal(malformed.json().error.code, 'BAD_REQUEST');
    const text = await h.inject({
      method: 'POST',
      url: '/api/org',
      as: owner,
      headers: { 'content-type': 'text/plain' },
      payload: 'name=x',
    });
    assert.equal(text.statusCode, 400, text.body);
    assert.equal(text.json().error.code, 'BAD_REQUEST');
    const huge = await h.inject({
      method: 'POST',
      url: '/api/org',
      as: owner,
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ name: 'Big', purpose: 'x'.repeat(2 * 1024 * 1024) }),
    });
    assert.equal(huge.statusCode, 400, huge.body);
    assert.equal(huge.json().error.code, 'BAD_REQUEST');
  });

  test('at most 10 orgs a day per user: the 11th is 429 RATE_LIMITED with Retry-After', async () => {
    const busy = await h.user();
    const created = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        h.inject({ method: 'POST', url: '/api/org', as: busy, payload: { name: `Busy ${i}` } }),
      ),
    );
    assert.deepEqual(
      created.map((response) => response.statusCode),
      Array(10).fill(201),
    );
    const eleventh = await h.inject({
      method: 'POST',
      url: '/api/org',
      as: busy,
      payload: { name: 'Busy 11' },
    });
    assert.equal(eleventh.statusCode, 429, eleventh.body);
    assert.equal(eleventh.json().error.code, 'RATE_LIMITED');
    const retryAfter = Number(eleventh.headers['retry-after']);
    assert.ok(retryAfter > 0 && retryAfter <= 86_400, String(retryAfter));
    const list = await h.inject({ method: 'GET', url: '/api/orgs', as: busy });
    assert.equal(list.json().orgs.length, 10);
  });
});

describe('sessions, origins and the org gate', () => {
  let owner: TestUser;
  let stranger: TestUser;
  let slug: string;
  before(async () => {
    owner = await h.user();
    stranger = await h.user();
    slug = (await h.org(owner)).slug;
  });

  test('no cookie, or a forged one, is 401 UNAUTHORIZED', async () => {
    for (const headers of [{}, { cookie: 'better-auth.session_token=forged.value' }]) {
      for (const [method, url] of [
        ['GET', '/api/orgs'],
        ['POST', '/api/org'],
        ['GET', `/api/org/${slug}/members`],
      ] as const) {
        const response = await h.inject({
          method,
          url,
          headers,
          ...(method === 'POST' ? { payload: { name: 'No' } } : {}),
        });
        assert.equal(response.statusCode, 401, `${method} ${url}: ${response.body}`);
        assert.equal(response.json().error.code, 'UNAUTHORIZED');
      }
    }
  });

  test('a cookie mutation from a foreign Origin is 403 and changes nothing; the service origins pass', async () => {
    const before = (await h.inject({ method: 'GET', url: '/api/orgs', as: owner })).json().orgs.length;
    const foreign = await h.inject({
      method: 'POST',
      url: '/api/org',
      as: owner,
      headers: { origin: 'https://evil.example' },
      payload: { name: 'Forged' },
    });
    assert.equal(foreign.statusCode, 403, foreign.body);
    assert.equal(foreign.json().error.code, 'FORBIDDEN');
    assert.equal((await h.inject({ method: 'GET', url: '/api/orgs', as: owner })).json().orgs.length, before);
    const port = new URL(h.service.booted.context.publicUrl).port;
    for (const origin of [`http://localhost:${port}`, `http://127.0.0.1:${port}`]) {
      const own = await h.inject({
        method: 'POST',
        url: '/api/org',
        as: owner,
        headers: { origin },
        payload: { name: 'Own origin' },
      });
      assert.equal(own.statusCode, 201, `${origin}: ${own.body}`);
    }
    // A read is not a mutation: a foreign Origin on GET is answered.
    const read = await h.inject({
      method: 'GET',
      url: '/api/orgs',
      as: owner,
      headers: { origin: 'https://evil.example' },
    });
    assert.equal(read.statusCode, 200);
  });

  test('better-auth refuses its own cookie mutations from a foreign Origin (sign-out)', async () => {
    const response = await h.inject({
      method: 'POST',
      url: '/api/auth/sign-out',
      headers: { cookie: owner.cookie, origin: 'https://evil.example', 'x-forwarded-for': owner.ip },
      skipContract: true,
    });
    assert.equal(response.statusCode, 403, response.body);
    const still = await h.inject({ method: 'GET', url: '/api/orgs', as: owner });
    assert.equal(still.statusCode, 200);
  });

  test('an org the caller is not in is 404, like an unknown slug; a member sees it', async () => {
    const foreign = await h.inject({ method: 'GET', url: `/api/org/${slug}/members`, as: stranger });
    assert.equal(foreign.statusCode, 404, foreign.body);
    assert.equal(foreign.json().error.code, 'NOT_FOUND');
    const unknown = await h.inject({ method: 'GET', url: '/api/org/no-such-org/members', as: stranger });
    assert.equal(unknown.statusCode, 404);
    const own = await h.inject({ method: 'GET', url: `/api/org/${slug}/members`, as: owner });
    assert.equal(own.statusCode, 200, own.body);
    const [member] = own.json().members;
    assert.equal(member.email, owner.email);
    assert.equal(member.role, 'owner');
    assert.equal(member.status, 'active');
  });

  test('sign-out ends the session: the cookie is 401 afterwards', async () => {
    const user = await h.user();
    const out = await h.inject({
      method: 'POST',
      url: '/api/auth/sign-out',
      // better-auth wants the Origin a browser sends with a cookie POST.
      headers: {
        cookie: user.cookie,
        'x-forwarded-for': user.ip,
        origin: new URL(h.service.booted.context.publicUrl).origin,
      },
      skipContract: true,
    });
    assert.equal(out.statusCode, 200, out.body);
    // The cookie cache (signed session_data) is dropped with the session token.
    const session = user.cookie
      .split('; ')
      .find((part) => part.startsWith('better-auth.session_token=')) as string;
    const after = await h.inject({
      method: 'GET',
      url: '/api/orgs',
      headers: { cookie: session, 'x-forwarded-for': user.ip },
    });
    assert.equal(after.statusCode, 401, after.body);
  });
});

describe("the organization plugin's own endpoints are not served", () => {
  test('creating an org, inviting or accepting through /api/auth/organization/* is refused', async () => {
    const user = await h.user();
    const origin = new URL(h.service.booted.context.publicUrl).origin;
    for (const [path, payload] of [
      ['/api/auth/organization/create', { name: 'Bypass', slug: 'bypass' }],
      ['/api/auth/organization/invite-member', { email: 'x@example.com', role: 'admin' }],
      ['/api/auth/organization/accept-invitation', { invitationId: 'inv_x' }],
      ['/api/auth/organization/update-member-role', { memberId: 'mem_x', role: 'owner' }],
    ] as const) {
      const response = await h.inject({
        method: 'POST',
        url: path,
        headers: { cookie: user.cookie, origin, 'x-forwarded-for': user.ip },
        payload,
        skipContract: true,
      });
      assert.equal(response.statusCode, 404, `${path}: ${response.statusCode} ${response.body}`);
    }
    const list = await h.inject({ method: 'GET', url: '/api/orgs', as: user });
    assert.deepEqual(list.json().orgs, []);
  });
});
