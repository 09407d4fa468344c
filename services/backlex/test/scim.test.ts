import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { after, before, test } from 'node:test';
import { BacklexHarness, type TestOrg, type TestUser } from './support/backlex.js';

let h: BacklexHarness;
let admin: TestUser;
let org: TestOrg;
let other: TestOrg;
before(async () => {
  h = await BacklexHarness.boot();
  admin = await h.user();
  org = await h.org(admin);
  other = await h.org();
});
after(async () => h?.close());

const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

function scim(
  token: string,
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
  path: string,
  payload?: unknown,
) {
  return h.inject({
    method,
    url: `/api/auth/scim/v2${path}`,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
    ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
    skipContract: true,
  });
}

async function mint(target: TestOrg, as: TestUser) {
  const response = await h.inject({ method: 'POST', url: `/api/org/${target.slug}/scim/token`, as });
  assert.equal(response.statusCode, 201, response.body);
  return response.json().token as string;
}

async function roleOf(email: string): Promise<string | undefined> {
  const response = await h.inject({ method: 'GET', url: `/api/org/${org.slug}/members`, as: admin });
  return response.json().members.find((member: { email: string }) => member.email === email)?.role;
}

test('an Okta-style run: create, userName eq filter, group moves, deactivate; tokens are per org', async () => {
  const status = await h.inject({ method: 'GET', url: `/api/org/${org.slug}/scim`, as: admin });
  assert.equal(status.statusCode, 200, status.body);
  assert.match(status.json().scimBaseUrl, /\/api\/auth\/scim\/v2$/);
  assert.equal(status.json().enabled, false);

  const first = await mint(org, admin);
  const token = await mint(org, admin);
  // Minting replaced the first token.
  assert.equal((await scim(first, 'GET', '/Users')).statusCode, 401);

  const email = 'okta.user@acme.test';
  const created = await scim(token, 'POST', '/Users', {
    schemas: [USER_SCHEMA],
    userName: email,
    externalId: 'okta-00u1',
    name: { givenName: 'Okta', familyName: 'User' },
    emails: [{ value: email, primary: true, type: 'work' }],
    active: true,
  });
  assert.equal(created.statusCode, 201, created.body);
  const userId = created.json().id as string;
  assert.equal(await roleOf(email), 'viewer');

  const filtered = await scim(token, 'GET', `/Users?filter=${encodeURIComponent(`userName eq "${email}"`)}`);
  assert.equal(filtered.statusCode, 200, filtered.body);
  assert.equal(filtered.json().totalResults, 1);

  const developers = await scim(token, 'POST', '/Groups', {
    schemas: [GROUP_SCHEMA],
    displayName: 'developer',
    members: [{ value: userId }],
  });
  assert.equal(developers.statusCode, 201, developers.body);
  assert.equal(await roleOf(email), 'developer');

  const admins = await scim(token, 'POST', '/Groups', {
    schemas: [GROUP_SCHEMA],
    displayName: 'admin',
    members: [],
  });
  assert.equal(admins.statusCode, 201, admins.body);
  const moved = await scim(token, 'PATCH', `/Groups/${admins.json().id}`, {
    schemas: [PATCH_SCHEMA],
    Operations: [{ op: 'add', path: 'members', value: [{ value: userId }] }],
  });
  assert.ok(moved.statusCode === 200 || moved.statusCode === 204, moved.body);
  assert.equal(await roleOf(email), 'admin');

  // Another org's token sees nothing of this org.
  const foreignToken = await mint(other, other.owner);
  assert.equal((await scim(foreignToken, 'GET', `/Users/${userId}`)).statusCode, 404);
  assert.equal((await scim(foreignToken, 'GET', '/Users')).json().totalResults, 0);

  const deactivated = await scim(token, 'PATCH', `/Users/${userId}`, {
    schemas: [PATCH_SCHEMA],
    Operations: [{ op: 'replace', value: { active: false } }],
  });
  assert.equal(deactivated.statusCode, 200, deactivated.body);
  assert.equal(await roleOf(email), undefined);

  // The owner is never changed by SCIM, and revoking keeps members.
  assert.equal(await roleOf(admin.email), 'owner');
  const revoke = await h.inject({ method: 'DELETE', url: `/api/org/${org.slug}/scim/token`, as: admin });
  assert.equal(revoke.statusCode, 200, revoke.body);
  assert.equal((await scim(token, 'GET', '/Users')).statusCode, 401);
  const again = await h.inject({ method: 'DELETE', url: `/api/org/${org.slug}/scim/token`, as: admin });
  assert.equal(again.statusCode, 200, again.body);
  assert.equal(await roleOf(admin.email), 'owner');

  // Every membership change the projection made is in the audit log (actor scim, written in the
  // plugin's own transaction) and was published; the token changes too.
  const audit = await h.inject({
    method: 'GET',
    url: `/api/org/${org.slug}/audit?limit=200`,
    as: admin,
  });
  assert.equal(audit.statusCode, 200, audit.body);
  const events = (
    audit.json().events as { action: string; actor: { type: string }; data: Record<string, unknown> }[]
  )
    .slice()
    .reverse();
  const byScim = events.filter((event) => event.actor.type === 'scim').map((event) => event.action);
  assert.deepEqual(
    byScim,
    ['member.joined', 'member.role_changed', 'member.role_changed', 'member.removed'],
    audit.body,
  );
  const roleChanges = events.filter(
    (event) => event.action === 'member.role_changed' && event.actor.type === 'scim',
  );
  assert.deepEqual(
    roleChanges.map((event) => [event.data.from, event.data.to]),
    [
      ['viewer', 'developer'],
      ['developer', 'admin'],
    ],
  );
  const actions = events.map((event) => event.action);
  assert.equal(actions.filter((action) => action === 'scim.token_minted').length, 2);
  assert.equal(actions.filter((action) => action === 'scim.token_revoked').length, 2);
  const { kysely } = h.service.booted.context.database();
  const published = await sql<{
    type: string;
  }>`SELECT type FROM events WHERE org_id = ${org.id} AND data->>'userId' IS NOT NULL ORDER BY created_at`.execute(
    kysely,
  );
  const memberEvents = published.rows.map((row) => row.type).filter((type) => type.startsWith('member.'));
  for (const type of ['member.joined', 'member.role_changed', 'member.removed'])
    assert.ok(memberEvents.includes(type), `${type} not published: ${memberEvents.join(', ')}`);
});

test('a stranger gets 404 on the org’s SCIM routes', async () => {
  const stranger = await h.user();
  const response = await h.inject({ method: 'POST', url: `/api/org/${org.slug}/scim/token`, as: stranger });
  assert.equal(response.statusCode, 404, response.body);
});
