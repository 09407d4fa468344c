import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BacklexHarness, cookieHeader } from './support/backlex.js';

let h: BacklexHarness;
before(async () => {
  h = await BacklexHarness.boot();
});
after(async () => h?.close());

test('the verification link lands on a served page saying the address is verified; a bad link says so too', async () => {
  const user = await h.signUpUnverified();
  const link = await h.linkInMail(user.email, /verify/i);
  const verified = await h.inject({
    method: 'GET',
    url: `${link.pathname}${link.search}`,
    headers: { 'x-forwarded-for': user.ip },
    skipContract: true,
  });
  assert.equal(verified.statusCode, 302, verified.body);
  const landing = new URL(verified.headers.location as string);
  assert.equal(landing.pathname, '/api/email-verified');
  const page = await h.inject({
    method: 'GET',
    url: `${landing.pathname}${landing.search}`,
    skipContract: true,
  });
  assert.equal(page.statusCode, 200, page.body);
  assert.match(String(page.headers['content-type']), /^text\/html/);
  assert.match(page.body, /Email address verified/);
  // Verified: sign-in works now.
  assert.match(await h.signIn(user), /better-auth\.session_token=/);

  const forged = new URL(link);
  forged.searchParams.set('token', 'not-a-token');
  const refused = await h.inject({
    method: 'GET',
    url: `${forged.pathname}${forged.search}`,
    headers: { 'x-forwarded-for': user.ip },
    skipContract: true,
  });
  assert.equal(refused.statusCode, 302, refused.body);
  const errorLanding = new URL(refused.headers.location as string);
  assert.equal(errorLanding.pathname, '/api/email-verified');
  assert.ok(errorLanding.searchParams.get('error'));
  const errorPage = await h.inject({
    method: 'GET',
    url: `${errorLanding.pathname}${errorLanding.search}`,
    skipContract: true,
  });
  assert.match(errorPage.body, /cannot be used/);
});

test('a removed member loses the org at once, though their session cookie (and its 60 s cache) is unchanged', async () => {
  const org = await h.org();
  const member = await h.member(org, 'developer');
  assert.match(member.cookie, /better-auth\.session_data=/, 'the cache cookie is sent');
  const before = await h.inject({ method: 'GET', url: `/api/org/${org.slug}/members`, as: member });
  assert.equal(before.statusCode, 200, before.body);
  const removed = await h.inject({
    method: 'DELETE',
    url: `/api/org/${org.slug}/members/${member.memberId}`,
    as: org.owner,
  });
  assert.equal(removed.statusCode, 204, removed.body);
  // The very next request: the org gate reads the membership on every request, never the cache.
  const after = await h.inject({ method: 'GET', url: `/api/org/${org.slug}/members`, as: member });
  assert.equal(after.statusCode, 404, after.body);
  // The session itself still stands (a person removed from one org is still signed in).
  const orgs = await h.inject({ method: 'GET', url: '/api/orgs', as: member });
  assert.equal(orgs.statusCode, 200, orgs.body);
});

test('a signed-out session: its token is refused at once; its cache cookie answers for at most 60 s', async () => {
  const user = await h.user();
  const cookie = await h.signIn(user);
  const signedOut = await h.inject({
    method: 'POST',
    url: '/api/auth/sign-out',
    headers: { cookie, origin: 'http://localhost:8787', 'x-forwarded-for': user.ip },
    skipContract: true,
  });
  assert.equal(signedOut.statusCode, 200, signedOut.body);
  const signedOutAt = Date.now();
  // The browser's jar is cleared (both cookies expire)…
  assert.match(cookieHeader(signedOut), /better-auth\.session_token=(;|$)/);
  // …and the token alone is refused on the next request.
  const token = cookie
    .split('; ')
    .filter((part) => part.startsWith('better-auth.session_token='))
    .join('; ');
  const byToken = await h.inject({
    method: 'GET',
    url: '/api/account',
    headers: { cookie: token, 'x-forwarded-for': user.ip },
  });
  assert.equal(byToken.statusCode, 401, byToken.body);
  // A copy of both cookies replayed is the documented bound: answered only within the cache's 60 s.
  const replayed = await h.inject({
    method: 'GET',
    url: '/api/account',
    headers: { cookie, 'x-forwarded-for': user.ip },
  });
  assert.ok(
    replayed.statusCode === 401 || Date.now() - signedOutAt < 60_000,
    `a replayed cache cookie answered ${replayed.statusCode} more than 60 s after sign-out`,
  );
});
