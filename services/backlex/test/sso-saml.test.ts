import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BacklexHarness, cookieHeader, type TestOrg, type TestUser } from './support/backlex.js';
import { type DnsStub, startDnsStub } from './support/dns-stub.js';
import { createSamlIdp, type SamlIdp, tamperSamlResponse } from './support/saml-idp.js';

let h: BacklexHarness;
let idp: SamlIdp;
let dns: DnsStub;
let admin: TestUser;
let org: TestOrg;
before(async () => {
  idp = await createSamlIdp();
  dns = await startDnsStub();
  h = await BacklexHarness.boot({ env: { BACKLEX_DNS_SERVERS: dns.server } });
  admin = await h.user();
  org = await h.org(admin);
});
after(async () => {
  await h?.close();
  await dns?.close();
});

/** loginUrl → the IdP's signed response → POST to the ACS, as the browser's auto-submitted form would. */
async function postAssertion(email: string, edit?: (xml: string) => string) {
  const login = await h.inject({ method: 'GET', url: `/api/sso/${org.slug}/login`, skipContract: true });
  assert.equal(login.statusCode, 302, login.body);
  const metadataUrl = new URL(
    (await h.inject({ method: 'GET', url: `/api/org/${org.slug}/sso`, as: admin })).json().urls
      .samlMetadataUrl,
  );
  const spMetadata = (
    await h.inject({ method: 'GET', url: `${metadataUrl.pathname}${metadataUrl.search}`, skipContract: true })
  ).body;
  idp.signInAs(email);
  const post = await idp.respond(login.headers.location as string, spMetadata);
  const acs = new URL(post.acsUrl);
  return h.inject({
    method: 'POST',
    url: acs.pathname,
    headers: {
      cookie: cookieHeader(login),
      'content-type': 'application/x-www-form-urlencoded',
    },
    payload: new URLSearchParams({
      SAMLResponse: edit ? tamperSamlResponse(post.SAMLResponse, edit) : post.SAMLResponse,
      RelayState: post.RelayState ?? '',
    }).toString(),
    skipContract: true,
  });
}

test('SAML end to end: a signed response signs in as viewer; a tampered one is refused', async () => {
  const put = await h.inject({
    method: 'PUT',
    url: `/api/org/${org.slug}/sso`,
    as: admin,
    payload: {
      type: 'saml',
      emailDomain: 'acme.test',
      config: { entryPoint: idp.entryPoint, cert: idp.cert, entityId: idp.entityId },
    },
  });
  assert.equal(put.statusCode, 200, put.body);
  const { verification } = put.json().sso;
  dns.setTxt(verification.name, [verification.value]);
  const verified = await h.inject({ method: 'GET', url: `/api/org/${org.slug}/sso`, as: admin });
  assert.equal(verified.json().sso.domainVerified, true, verified.body);

  const signedIn = await postAssertion('grace@acme.test');
  assert.equal(signedIn.statusCode, 302, signedIn.body);
  const session = cookieHeader(signedIn);
  assert.match(session, /better-auth\.session_token=/);
  const orgs = await h.inject({ method: 'GET', url: '/api/orgs', headers: { cookie: session } });
  assert.equal(
    orgs.json().orgs.find((item: { slug: string }) => item.slug === org.slug)?.role,
    'viewer',
    orgs.body,
  );

  const tampered = await postAssertion('mallory@acme.test', (xml) =>
    xml.replace('mallory@acme.test', 'ceo@acme.test'),
  );
  assert.doesNotMatch(cookieHeader(tampered), /better-auth\.session_token=/);
  assert.match(String(tampered.headers.location), /error/);

  const foreign = await postAssertion('eve@evil.test');
  assert.doesNotMatch(cookieHeader(foreign), /better-auth\.session_token=/);
});
