import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BacklexHarness, cookieHeader, type TestOrg, type TestUser } from './support/backlex.js';
import { type DnsStub, startDnsStub } from './support/dns-stub.js';
import { type OidcIdp, startOidcIdp } from './support/oidc-idp.js';

let h: BacklexHarness;
let idp: OidcIdp;
let dns: DnsStub;
let admin: TestUser;
let org: TestOrg;
before(async () => {
  idp = await startOidcIdp();
  dns = await startDnsStub();
  // The IdP listens on loopback: reachable only because its origin is trusted.
  h = await BacklexHarness.boot({
    env: { BACKLEX_SSO_TRUSTED_ORIGINS: idp.issuer, BACKLEX_DNS_SERVERS: dns.server },
  });
  admin = await h.user();
  org = await h.org(admin);
});
after(async () => {
  await h?.close();
  await idp?.close();
  await dns?.close();
});

/** `GET loginUrl` → IdP → back to the callback, as a browser would; the final answer. */
async function signInThroughIdp(email: string) {
  const login = await h.inject({ method: 'GET', url: `/api/sso/${org.slug}/login`, skipContract: true });
  assert.equal(login.statusCode, 302, login.body);
  idp.signInAs(email);
  const callback = await idp.completeAuthorization(login.headers.location as string);
  return h.inject({
    method: 'GET',
    url: `${callback.pathname}${callback.search}`,
    headers: { cookie: cookieHeader(login) },
    skipContract: true,
  });
}

test('OIDC end to end: PUT stores, sign-in waits for the DNS record, JIT viewer, other domains refused, DELETE stops it', async () => {
  const initial = await h.inject({ method: 'GET', url: `/api/org/${org.slug}/sso`, as: admin });
  assert.equal(initial.statusCode, 200, initial.body);
  assert.equal(initial.json().sso, null);
  const { urls } = initial.json();
  const client = await idp.registerClient([urls.oidcRedirectUri]);

  const put = await h.inject({
    method: 'PUT',
    url: `/api/org/${org.slug}/sso`,
    as: admin,
    payload: {
      type: 'oidc',
      enabled: true,
      emailDomain: 'acme.test',
      config: { issuer: idp.issuer, clientId: client.clientId, clientSecret: client.clientSecret },
    },
  });
  assert.equal(put.statusCode, 200, put.body);
  const sso = put.json().sso;
  assert.equal(sso.domainVerified, false);
  assert.equal(sso.config.clientSecret, '********');
  assert.equal(put.body.includes(client.clientSecret), false);
  assert.match(sso.verification.name, /^_backlex-sso-.+\.acme\.test$/);
  // At rest the secret is sealed (AES-256-GCM): the plugin's JSON column does not contain it.
  const stored = await h.service.booted.context
    .database()
    .pool.query('SELECT "oidcConfig" FROM "ssoProvider" WHERE "organizationId" = $1', [org.id]);
  assert.equal(stored.rows.length, 1);
  const storedConfig = stored.rows[0].oidcConfig as string;
  assert.equal(storedConfig.includes(client.clientSecret), false, storedConfig);
  assert.equal(JSON.parse(storedConfig).clientSecret, undefined);
  assert.match(JSON.parse(storedConfig).clientSecretSealed, /^v1\./);

  // Before the record exists, nobody signs in.
  const early = await h.inject({ method: 'GET', url: `/api/sso/${org.slug}/login`, skipContract: true });
  assert.equal(early.statusCode, 403, early.body);

  dns.setTxt(sso.verification.name, [sso.verification.value]);
  const verified = await h.inject({ method: 'GET', url: `/api/org/${org.slug}/sso`, as: admin });
  assert.equal(verified.json().sso.domainVerified, true, verified.body);
  assert.ok(dns.queries.includes(sso.verification.name.toLowerCase()));

  // Re-PUT without the secret keeps the stored one (sign-in below still exchanges the code).
  const keep = await h.inject({
    method: 'PUT',
    url: `/api/org/${org.slug}/sso`,
    as: admin,
    payload: {
      type: 'oidc',
      emailDomain: 'acme.test',
      config: { issuer: idp.issuer, clientId: client.clientId },
    },
  });
  assert.equal(keep.statusCode, 200, keep.body);
  assert.equal(keep.json().sso.config.clientSecret, '********');

  const signedIn = await signInThroughIdp('ada@acme.test');
  assert.equal(signedIn.statusCode, 302, signedIn.body);
  const session = cookieHeader(signedIn);
  assert.match(session, /better-auth\.session_token=/);
  const orgs = await h.inject({ method: 'GET', url: '/api/orgs', headers: { cookie: session } });
  assert.equal(orgs.statusCode, 200, orgs.body);
  const membership = orgs.json().orgs.find((item: { slug: string }) => item.slug === org.slug);
  assert.equal(membership?.role, 'viewer', orgs.body);
  // The just-in-time member is audited (actor system, the provider named) in the sign-in's transaction.
  const audit = await h.inject({
    method: 'GET',
    url: `/api/org/${org.slug}/audit?action=member.joined`,
    as: admin,
  });
  assert.equal(audit.statusCode, 200, audit.body);
  const joined = (
    audit.json().events as {
      actor: { type: string; label: string | null };
      data: { via?: string; role?: string };
    }[]
  ).filter((event) => event.data.via === 'sso');
  assert.equal(joined.length, 1, audit.body);
  assert.equal(joined[0]?.actor.type, 'system');
  assert.match(String(joined[0]?.actor.label), /^sso:/);
  assert.equal(joined[0]?.data.role, 'viewer');

  const foreign = await signInThroughIdp('eve@evil.test');
  assert.doesNotMatch(cookieHeader(foreign), /better-auth\.session_token=/);
  assert.match(String(foreign.headers.location), /error/);

  const removed = await h.inject({ method: 'DELETE', url: `/api/org/${org.slug}/sso`, as: admin });
  assert.equal(removed.statusCode, 200, removed.body);
  assert.deepEqual(removed.json(), { ok: true });
  const after = await h.inject({ method: 'GET', url: `/api/sso/${org.slug}/login`, skipContract: true });
  assert.equal(after.statusCode, 404, after.body);
  const again = await h.inject({ method: 'DELETE', url: `/api/org/${org.slug}/sso`, as: admin });
  assert.equal(again.statusCode, 200, again.body);
});

test('a first PUT without clientSecret is 422 naming it; a stranger gets 404', async () => {
  const missing = await h.inject({
    method: 'PUT',
    url: `/api/org/${org.slug}/sso`,
    as: admin,
    payload: { type: 'oidc', emailDomain: 'acme.test', config: { issuer: idp.issuer, clientId: 'x' } },
  });
  assert.equal(missing.statusCode, 422, missing.body);
  assert.match(missing.body, /config\.clientSecret/);
  const stranger = await h.user();
  const response = await h.inject({ method: 'GET', url: `/api/org/${org.slug}/sso`, as: stranger });
  assert.equal(response.statusCode, 404, response.body);
});

test('an IdP on a private address that BACKLEX_SSO_TRUSTED_ORIGINS does not name is refused at sign-in', async () => {
  // Another real IdP on loopback, on a port the service was not told to trust.
  const untrusted = await startOidcIdp();
  try {
    const owner = await h.user();
    const target = await h.org(owner);
    const { urls } = (
      await h.inject({ method: 'GET', url: `/api/org/${target.slug}/sso`, as: owner })
    ).json();
    const client = await untrusted.registerClient([urls.oidcRedirectUri]);
    // Stored without contacting the IdP (PUT never does); the domain is verified.
    const put = await h.inject({
      method: 'PUT',
      url: `/api/org/${target.slug}/sso`,
      as: owner,
      payload: {
        type: 'oidc',
        enabled: true,
        emailDomain: 'private-idp.test',
        config: { issuer: untrusted.issuer, clientId: client.clientId, clientSecret: client.clientSecret },
      },
    });
    assert.equal(put.statusCode, 200, put.body);
    const { verification } = put.json().sso;
    dns.setTxt(verification.name, [verification.value]);
    const verified = await h.inject({ method: 'GET', url: `/api/org/${target.slug}/sso`, as: owner });
    assert.equal(verified.json().sso.domainVerified, true, verified.body);

    const login = await h.inject({ method: 'GET', url: `/api/sso/${target.slug}/login`, skipContract: true });
    assert.equal(login.statusCode, 403, login.body);
    assert.equal(login.json().error.code, 'FORBIDDEN');
    assert.equal(login.headers.location, undefined);
  } finally {
    await untrusted.close();
  }
});
