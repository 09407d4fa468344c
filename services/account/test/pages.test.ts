import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { bearer, Harness, PASSWORD, testEnv } from './helpers.js';

/**
 * The HTML pages behind the links of account's mails, as a browser gets them: no inline code
 * (CSP), their stylesheet and scripts served from account, and what each script does performed
 * through the same API calls. The end-to-end journey from the mail sink (with notification
 * rendering the mails) is packages/cli/test/notification-journey.test.ts.
 */
describe('pages behind the mail links', () => {
  let h: Harness;
  before(async () => {
    testEnv();
    h = await Harness.boot();
  });
  after(async () => h?.close());

  const hiddenToken = (html: string) => /<input type="hidden" name="token" value="([^"]+)">/.exec(html)?.[1];

  function assertPageHeaders(headers: Record<string, unknown>) {
    const csp = String(headers['content-security-policy']);
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /connect-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.equal(headers['cache-control'], 'no-store');
    assert.equal(headers['referrer-policy'], 'no-referrer');
  }

  test('the stylesheet and scripts are served from account, and nothing else under /pages', async () => {
    for (const [asset, type] of [
      ['page.css', /^text\/css/],
      ['reset-password.js', /^text\/javascript/],
      ['accept-invitation.js', /^text\/javascript/],
    ] as const) {
      const response = await h.app.inject({ method: 'GET', url: `/pages/${asset}` });
      assert.equal(response.statusCode, 200, asset);
      assert.match(String(response.headers['content-type']), type);
      assert.equal(response.headers['x-content-type-options'], 'nosniff');
    }
    for (const missing of ['nope.js', 'constructor', '__proto__', 'toString'])
      assert.equal(
        (await h.app.inject({ method: 'GET', url: `/pages/${missing}` })).statusCode,
        404,
        missing,
      );
    const reset = await h.app.inject({ method: 'GET', url: '/pages/reset-password.js' });
    assert.match(reset.body, /'\/api\/v1\/auth\/password-reset\/confirm'/);
    const invitation = await h.app.inject({ method: 'GET', url: '/pages/accept-invitation.js' });
    for (const path of ['/api/v1/auth/login', '/api/v1/auth/register', '/api/v1/invitations/accept'])
      assert.ok(invitation.body.includes(`'${path}'`), path);
  });

  test('reset page: a labelled form whose script posts to the seed API; the API call changes the password', async () => {
    const user = await h.register();
    await h.call({ method: 'POST', url: '/api/v1/auth/password-reset', payload: { email: user.email } });
    const token = (await h.lastEmail(user.email, 'password_reset')).token as string;
    const page = await h.app.inject({
      method: 'GET',
      url: `/reset-password?token=${encodeURIComponent(token)}`,
    });
    assert.equal(page.statusCode, 200);
    assertPageHeaders(page.headers);
    assert.match(page.body, /<script src="\/pages\/reset-password.js" defer><\/script>/);
    assert.match(page.body, /<label for="new_password">/);
    assert.match(page.body, /role="status" aria-live="polite"/);
    assert.doesNotMatch(page.body, /<script>|style=|onclick|onsubmit/i, 'no inline code');
    assert.equal(hiddenToken(page.body), token);
    // What the script does on submit.
    const confirmed = await h.call({
      method: 'POST',
      url: '/api/v1/auth/password-reset/confirm',
      payload: { token: hiddenToken(page.body), new_password: 'PageReset456!' },
    });
    assert.equal(confirmed.statusCode, 200, confirmed.body);
    await h.login(user.email, 'PageReset456!');
  });

  test('invitation page: shows the organization, role and invited address (escaped); its script signs in and accepts', async () => {
    const owner = await h.verifiedUser({ display_name: 'Olive <Owner>' });
    const created = await h.call({
      method: 'POST',
      url: '/api/v1/organizations',
      headers: bearer(owner.accessToken),
      payload: { name: 'Acme <script>alert(1)</script>' },
    });
    assert.equal(created.statusCode, 201, created.body);
    const orgId = created.json().data.org_id as string;
    const switched = await h.call({
      method: 'POST',
      url: `/api/v1/organizations/${orgId}/switch`,
      headers: bearer(owner.accessToken),
    });
    assert.equal(switched.statusCode, 200, switched.body);
    const member = await h.register({ email: `member-${randomUUID()}@example.com` });
    const invited = await h.call({
      method: 'POST',
      url: `/api/v1/organizations/${orgId}/members`,
      headers: bearer(switched.json().data.access_token),
      payload: { email: member.email },
    });
    assert.equal(invited.statusCode, 201, invited.body);
    const token = (await h.lastEmail(member.email, 'organization_invitation')).token as string;

    const page = await h.app.inject({
      method: 'GET',
      url: `/invitations/accept?token=${encodeURIComponent(token)}`,
    });
    assert.equal(page.statusCode, 200, page.body);
    assertPageHeaders(page.headers);
    assert.ok(page.body.includes('Acme &#60;script&#62;alert(1)&#60;/script&#62;'), 'the name is escaped');
    assert.doesNotMatch(page.body, /<script>alert/);
    assert.ok(page.body.includes('Olive &#60;Owner&#62; invited'));
    assert.ok(page.body.includes(`value="${member.email}"`));
    assert.match(page.body, /<script src="\/pages\/accept-invitation.js" defer><\/script>/);
    for (const field of ['email', 'password', 'create', 'display_name'])
      assert.match(page.body, new RegExp(`<label[^>]* for="${field}"`), `a label for ${field}`);
    assert.equal(hiddenToken(page.body), token);

    // What the script does: sign in with the invited address, accept with the access token.
    const login = await h.login(member.email, PASSWORD);
    const accepted = await h.call({
      method: 'POST',
      url: '/api/v1/invitations/accept',
      headers: bearer(login.access_token),
      payload: { token: hiddenToken(page.body) },
      skipContract: true,
    });
    assert.equal(accepted.statusCode, 200, accepted.body);
    assert.equal(accepted.json().data.organization_id, orgId);
    const again = await h.app.inject({
      method: 'GET',
      url: `/invitations/accept?token=${encodeURIComponent(token)}`,
    });
    assert.equal(again.statusCode, 404, 'a used invitation is refused by the page');
    assert.match(again.body, /invalid, has expired or was already used/);
  });

  test('invitation page for an address with no account: the script registers it, then accepts', async () => {
    const owner = await h.verifiedUser();
    const newcomer = `newcomer-${randomUUID()}@example.com`;
    const invited = await h.call({
      method: 'POST',
      url: `/api/v1/organizations/${owner.orgId}/members`,
      headers: bearer(owner.accessToken),
      payload: { email: newcomer },
    });
    assert.equal(invited.statusCode, 201, invited.body);
    const token = (await h.lastEmail(newcomer, 'organization_invitation')).token as string;
    const page = await h.app.inject({
      method: 'GET',
      url: `/invitations/accept?token=${encodeURIComponent(token)}`,
    });
    assert.equal(page.statusCode, 200);
    const registered = await h.call({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { email: newcomer, password: PASSWORD, display_name: 'New Comer' },
    });
    assert.equal(registered.statusCode, 201, registered.body);
    const accepted = await h.call({
      method: 'POST',
      url: '/api/v1/invitations/accept',
      headers: bearer(registered.json().data.access_token),
      payload: { token: hiddenToken(page.body) },
      skipContract: true,
    });
    assert.equal(accepted.statusCode, 200, accepted.body);
    assert.equal(accepted.json().data.organization_id, owner.orgId);
  });

  test('invitation page: a missing, unknown or oversized token gets an explanation, never a 500', async () => {
    const missing = await h.app.inject({ method: 'GET', url: '/invitations/accept' });
    assert.equal(missing.statusCode, 400);
    assert.match(missing.body, /missing its token/);
    const unknown = await h.app.inject({ method: 'GET', url: '/invitations/accept?token=nope' });
    assert.equal(unknown.statusCode, 404);
    assertPageHeaders(unknown.headers);
    const oversized = await h.app.inject({
      method: 'GET',
      url: `/invitations/accept?token=${'x'.repeat(600)}`,
    });
    assert.equal(oversized.statusCode, 404);
    const twice = await h.app.inject({ method: 'GET', url: '/invitations/accept?token=a&token=b' });
    assert.equal(twice.statusCode, 400);
  });
});
