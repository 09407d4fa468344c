import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { assertError, bearer, Harness, testEnv } from './helpers.js';

// Issue 10, "no grant exceeds its granter": every path that hands out permissions, tried by an
// owner, by a member with a narrow custom role and by an API key with narrow permissions. A grant
// is allowed exactly when it is a subset of what the granter holds; `*` only by an owner.

testEnv();
let h: Harness;
before(async () => {
  h = await Harness.boot();
});
after(async () => {
  await h?.close();
});

/** What the narrow member's role and the narrow key both hold: the grant routes, and one resource permission. */
const NARROW = [
  'service_accounts:create',
  'service_accounts:read',
  'service_accounts:update',
  'api_keys:create',
  'api_keys:read',
  'members:invite',
  'members:update_role',
  'roles:create',
  'roles:update',
  'museum:read',
];
const SUBSET = ['museum:read'];
const BEYOND = ['museum:read', 'artifact:write'];
const WILDCARD = ['*'];

type Headers = Record<string, string>;

const db = () => h.booted.context.database().pool;

async function ok(response: LightMyRequestResponse, status = 200) {
  assert.equal(response.statusCode, status, response.body);
  return response.json().data;
}

async function switchTo(token: string, orgId: string): Promise<string> {
  const data = await ok(
    await h.call({ method: 'POST', url: `/api/v1/organizations/${orgId}/switch`, headers: bearer(token) }),
  );
  return data.access_token;
}

async function createRole(ownerToken: string, orgId: string, permissions: string[]): Promise<string> {
  const data = await ok(
    await h.call({
      method: 'POST',
      url: `/api/v1/organizations/${orgId}/roles`,
      headers: bearer(ownerToken),
      payload: { name: `role-${randomUUID().slice(0, 8)}`, permissions },
    }),
    201,
  );
  return data.role_id;
}

async function invite(headers: Headers, orgId: string, email: string, roleId?: string) {
  return h.call({
    method: 'POST',
    url: `/api/v1/organizations/${orgId}/members`,
    headers,
    payload: roleId ? { email, role_id: roleId } : { email },
  });
}

async function accept(token: string, invitationToken: string) {
  return h.call({
    method: 'POST',
    url: '/api/v1/invitations/accept',
    headers: bearer(token),
    payload: { token: invitationToken },
    skipContract: true, // extension route, not in the seed
  });
}

/** A new verified user who joins `orgId` with `roleId` (invited by the owner) and switches to it. */
async function joinAs(ownerToken: string, orgId: string, roleId?: string) {
  const user = await h.verifiedUser();
  await ok(await invite(bearer(ownerToken), orgId, user.email, roleId), 201);
  const mail = await h.lastEmail(user.email, 'organization_invitation');
  await ok(await accept(user.accessToken, mail.token as string));
  return { ...user, token: await switchTo(user.accessToken, orgId) };
}

async function createServiceAccount(headers: Headers, orgId: string, capabilities: string[]) {
  return h.call({
    method: 'POST',
    url: '/api/v1/service-accounts',
    headers,
    payload: {
      organization_id: orgId,
      display_name: `bot-${randomUUID().slice(0, 8)}`,
      capabilities,
      allowed_tools: [],
      rate_limit_per_minute: 10_000,
    },
  });
}

async function mintKey(headers: Headers, serviceAccountId: string, permissions: string[]) {
  return h.call({
    method: 'POST',
    url: `/api/v1/service-accounts/${serviceAccountId}/api-keys`,
    headers,
    payload: { permissions },
  });
}

async function updateServiceAccount(
  headers: Headers,
  orgId: string,
  serviceAccountId: string,
  patch: Record<string, unknown>,
) {
  return h.call({
    method: 'PUT',
    url: `/api/v1/service-accounts/${serviceAccountId}`,
    headers,
    payload: { organization_id: orgId, ...patch },
  });
}

async function capabilitiesOf(serviceAccountId: string): Promise<string[]> {
  const { rows } = await db().query(
    'SELECT capabilities FROM account.service_accounts WHERE account_id = $1',
    [serviceAccountId],
  );
  return [...rows[0].capabilities].sort();
}

async function roleOfMember(orgId: string, accountId: string): Promise<string> {
  const { rows } = await db().query(
    'SELECT role_id FROM account.memberships WHERE organization_id = $1 AND account_id = $2',
    [orgId, accountId],
  );
  return rows[0]?.role_id;
}

interface Team {
  orgId: string;
  ownerToken: string;
  /** The member whose custom role holds NARROW. */
  memberToken: string;
  /** An API key holding NARROW; its service account also has artifact:write, which the key lacks. */
  key: string;
  keyAccountId: string;
  ownerRoleId: string;
}

async function team(): Promise<Team> {
  const owner = await h.verifiedUser({ display_name: 'Owner' });
  const org = await ok(
    await h.call({
      method: 'POST',
      url: '/api/v1/organizations',
      headers: bearer(owner.accessToken),
      payload: { name: 'Grant Team', slug: `grant-team-${owner.accountId.slice(0, 8)}` },
    }),
    201,
  );
  const ownerToken = await switchTo(owner.accessToken, org.org_id);
  const narrowRole = await createRole(ownerToken, org.org_id, NARROW);
  const member = await joinAs(ownerToken, org.org_id, narrowRole);
  const bot = await ok(
    await createServiceAccount(bearer(ownerToken), org.org_id, [...NARROW, 'artifact:write']),
    201,
  );
  const key = await ok(await mintKey(bearer(ownerToken), bot.account_id, NARROW), 201);
  const roles = await ok(
    await h.call({
      method: 'GET',
      url: `/api/v1/organizations/${org.org_id}/roles`,
      headers: bearer(ownerToken),
    }),
  );
  const ownerRoleId = roles.items.find((role: { name: string }) => role.name === 'owner').role_id;
  return {
    orgId: org.org_id,
    ownerToken,
    memberToken: member.token,
    key: key.key,
    keyAccountId: bot.account_id,
    ownerRoleId,
  };
}

type Kind = 'owner' | 'narrow member' | 'narrow API key';
type Grant = 'subset' | 'beyond' | 'wildcard';

function credentials(t: Team, kind: Kind): Headers {
  if (kind === 'owner') return bearer(t.ownerToken);
  if (kind === 'narrow member') return bearer(t.memberToken);
  return { 'x-api-key': t.key };
}

/**
 * One grant path: `prepare` builds its target with the owner, `attempt` grants `permissions` as
 * the principal, `observe` reads what the grant would change (so a refusal can be shown to change
 * nothing). `wildcard: 'never'` marks targets that cannot carry `*` at all (roles): 422 for all.
 */
interface GrantPath {
  name: string;
  wildcard: 'owner' | 'never';
  successStatus: number;
  prepare(t: Team): Promise<Record<string, string>>;
  attempt(
    t: Team,
    headers: Headers,
    grant: Grant,
    target: Record<string, string>,
  ): Promise<LightMyRequestResponse>;
  observe(t: Team, target: Record<string, string>): Promise<unknown>;
}

const permissionsOf = (grant: Grant) => ({ subset: SUBSET, beyond: BEYOND, wildcard: WILDCARD })[grant];

/** Roles standing for each grant in the role-based paths; `*` is the owner role itself. */
async function rolesFor(t: Team) {
  return {
    subset: await createRole(t.ownerToken, t.orgId, SUBSET),
    beyond: await createRole(t.ownerToken, t.orgId, BEYOND),
    wildcard: t.ownerRoleId,
  };
}

const paths: GrantPath[] = [
  {
    name: 'create service account (capabilities)',
    wildcard: 'owner',
    successStatus: 201,
    prepare: async () => ({}),
    attempt: (t, headers, grant) => createServiceAccount(headers, t.orgId, permissionsOf(grant)),
    observe: async (t) =>
      (
        await db().query(
          'SELECT count(*)::int AS n FROM account.service_accounts WHERE organization_id = $1',
          [t.orgId],
        )
      ).rows[0].n,
  },
  {
    name: 'update service account (capabilities)',
    wildcard: 'owner',
    successStatus: 200,
    prepare: async (t) => ({
      id: (await ok(await createServiceAccount(bearer(t.ownerToken), t.orgId, SUBSET), 201)).account_id,
    }),
    attempt: (t, headers, grant, target) =>
      updateServiceAccount(headers, t.orgId, target.id as string, { capabilities: permissionsOf(grant) }),
    observe: async (_t, target) => capabilitiesOf(target.id as string),
  },
  {
    name: 'create API key (permissions)',
    wildcard: 'owner',
    successStatus: 201,
    // The owner's `*` service account: its capabilities never refuse, only the granter rule can.
    prepare: async (t) => ({
      id: (await ok(await createServiceAccount(bearer(t.ownerToken), t.orgId, WILDCARD), 201)).account_id,
    }),
    attempt: (_t, headers, grant, target) => mintKey(headers, target.id as string, permissionsOf(grant)),
    observe: async (_t, target) =>
      (
        await db().query('SELECT count(*)::int AS n FROM account.api_keys WHERE service_account_id = $1', [
          target.id,
        ])
      ).rows[0].n,
  },
  {
    name: 'invite member (role)',
    wildcard: 'never', // the owner role is never assigned: no ownership transfer
    successStatus: 201,
    prepare: async (t) => rolesFor(t),
    attempt: (t, headers, grant, roles) =>
      invite(headers, t.orgId, `invitee-${randomUUID().slice(0, 8)}@example.com`, roles[grant]),
    observe: async (t) =>
      (
        await db().query(
          "SELECT count(*)::int AS n FROM account.invitations WHERE organization_id = $1 AND status = 'pending'",
          [t.orgId],
        )
      ).rows[0].n,
  },
  {
    name: 'change member role',
    wildcard: 'never',
    successStatus: 200,
    prepare: async (t) => {
      const target = await joinAs(t.ownerToken, t.orgId);
      return { ...(await rolesFor(t)), member: target.accountId };
    },
    attempt: (t, headers, grant, target) =>
      h.call({
        method: 'PUT',
        url: `/api/v1/organizations/${t.orgId}/members/${target.member}/role`,
        headers,
        payload: { role_id: target[grant] },
      }),
    observe: async (t, target) => roleOfMember(t.orgId, target.member as string),
  },
  {
    name: 'create custom role (permissions)',
    wildcard: 'never',
    successStatus: 201,
    prepare: async () => ({}),
    attempt: (t, headers, grant) =>
      h.call({
        method: 'POST',
        url: `/api/v1/organizations/${t.orgId}/roles`,
        headers,
        payload: { name: `custom-${randomUUID().slice(0, 8)}`, permissions: permissionsOf(grant) },
      }),
    observe: async (t) =>
      (await db().query('SELECT count(*)::int AS n FROM account.roles WHERE organization_id = $1', [t.orgId]))
        .rows[0].n,
  },
  {
    name: 'update custom role (permissions)',
    wildcard: 'never',
    successStatus: 200,
    prepare: async (t) => ({ id: await createRole(t.ownerToken, t.orgId, SUBSET) }),
    attempt: (t, headers, grant, target) =>
      h.call({
        method: 'PUT',
        url: `/api/v1/organizations/${t.orgId}/roles/${target.id}`,
        headers,
        payload: { permissions: permissionsOf(grant) },
      }),
    observe: async (_t, target) =>
      (await db().query('SELECT permissions FROM account.roles WHERE id = $1', [target.id])).rows[0]
        .permissions,
  },
];

/** The expected status: the grant's subset relation decides, `*` is the owner's, roles never carry it. */
function expected(path: GrantPath, kind: Kind, grant: Grant): { status: number; code?: number } {
  if (grant === 'wildcard' && path.wildcard === 'never') return { status: 422, code: 4002 };
  if (grant === 'subset' || kind === 'owner') return { status: path.successStatus };
  return { status: 401, code: 4003 };
}

describe('no grant exceeds its granter (matrix)', () => {
  let t: Team;
  before(async () => {
    t = await team();
  });

  for (const path of paths) {
    for (const kind of ['owner', 'narrow member', 'narrow API key'] as Kind[]) {
      test(`${path.name} × ${kind}`, async () => {
        const target = await path.prepare(t);
        for (const grant of ['subset', 'beyond', 'wildcard'] as Grant[]) {
          const want = expected(path, kind, grant);
          const previous = await path.observe(t, target);
          const response = await path.attempt(t, credentials(t, kind), grant, target);
          if (want.code) {
            assertError(response, want.status, want.code);
            assert.deepEqual(
              await path.observe(t, target),
              previous,
              `${grant}: a refused grant changes nothing`,
            );
          } else {
            assert.equal(response.statusCode, want.status, `${grant}: ${response.body}`);
          }
        }
      });
    }
  }
});

describe('no grant exceeds its granter (cases)', () => {
  let t: Team;
  before(async () => {
    t = await team();
  });

  test('the original attack is refused at its first step, with nothing created', async () => {
    // A member whose role holds only the service-account and key creation rights (+ reads).
    const role = await createRole(t.ownerToken, t.orgId, [
      'service_accounts:create',
      'service_accounts:read',
      'api_keys:create',
      'api_keys:read',
    ]);
    const attacker = await joinAs(t.ownerToken, t.orgId, role);
    const accountsBefore = await paths[0]!.observe(t, {});
    const step1 = await createServiceAccount(bearer(attacker.token), t.orgId, ['*']);
    assertError(
      step1,
      401,
      4003,
      /^capabilities: you cannot grant what you do not hold: \* \(only an organization owner/,
    );
    assert.equal(await paths[0]!.observe(t, {}), accountsBefore, 'no service account was created');
    const audit = await db().query(
      "SELECT count(*)::int AS n FROM account.audit_logs WHERE actor_id = $1 AND action = 'service_account.created'",
      [attacker.accountId],
    );
    assert.equal(audit.rows[0].n, 0);
    // The rest of the chain is closed too: a `*` key on the owner's `*` service account, then the delete.
    const ownersBot = await ok(await createServiceAccount(bearer(t.ownerToken), t.orgId, ['*']), 201);
    assertError(await mintKey(bearer(attacker.token), ownersBot.account_id, ['*']), 401, 4003, /\*/);
    const keys = await db().query(
      'SELECT count(*)::int AS n FROM account.api_keys WHERE service_account_id = $1',
      [ownersBot.account_id],
    );
    assert.equal(keys.rows[0].n, 0);
    assertError(
      await h.call({
        method: 'DELETE',
        url: `/api/v1/organizations/${t.orgId}`,
        headers: bearer(attacker.token),
      }),
      401,
      4003,
    );
    await ok(await h.call({ method: 'GET', url: `/api/v1/organizations/${t.orgId}/check` }));
    // What the attacker does hold stays grantable: a bot and a key within its own permissions.
    const within = await ok(
      await createServiceAccount(bearer(attacker.token), t.orgId, ['service_accounts:read']),
      201,
    );
    await ok(await mintKey(bearer(attacker.token), within.account_id, ['service_accounts:read']), 201);
  });

  test('a key never widens its own service account (X-API-Key, exchanged JWT, PUT /me)', async () => {
    const caps = ['service_accounts:update', 'museum:read', 'artifact:write'];
    const bot = await ok(await createServiceAccount(bearer(t.ownerToken), t.orgId, caps), 201);
    const key = await ok(await mintKey(bearer(t.ownerToken), bot.account_id, caps), 201);
    const exchanged = await ok(
      await h.call({ method: 'POST', url: '/api/v1/auth/token-exchange', headers: { 'x-api-key': key.key } }),
    );
    // An administrator narrows the bot; the service JWT still carries artifact:write for up to an hour.
    await ok(
      await updateServiceAccount(bearer(t.ownerToken), t.orgId, bot.account_id, {
        capabilities: ['service_accounts:update', 'museum:read'],
      }),
    );
    for (const headers of [bearer(exchanged.access_token), { 'x-api-key': key.key }]) {
      assertError(
        await updateServiceAccount(headers, t.orgId, bot.account_id, { capabilities: caps }),
        401,
        4003,
        /artifact:write/,
      );
      assertError(
        await h.call({ method: 'PUT', url: '/api/v1/me', headers, payload: { capabilities: caps } }),
        401,
        4003,
        /^capabilities: a service account cannot widen its own grant: artifact:write$/,
      );
    }
    assert.deepEqual(await capabilitiesOf(bot.account_id), ['museum:read', 'service_accounts:update']);
    // Narrowing itself stays possible.
    await ok(
      await h.call({
        method: 'PUT',
        url: '/api/v1/me',
        headers: { 'x-api-key': key.key },
        payload: { capabilities: ['service_accounts:update'] },
      }),
    );
    assert.deepEqual(await capabilitiesOf(bot.account_id), ['service_accounts:update']);
  });

  test('nobody reshapes a grant above them: member role, custom role, service account', async () => {
    const admin = await joinAs(t.ownerToken, t.orgId, await createRole(t.ownerToken, t.orgId, BEYOND));
    const lower = await createRole(t.ownerToken, t.orgId, SUBSET);
    assertError(
      await h.call({
        method: 'PUT',
        url: `/api/v1/organizations/${t.orgId}/members/${admin.accountId}/role`,
        headers: bearer(t.memberToken),
        payload: { role_id: lower },
      }),
      401,
      4003,
      /^account_id: the member's current role holds what you do not: artifact:write$/,
    );
    assert.notEqual(await roleOfMember(t.orgId, admin.accountId), lower);
    const above = await createRole(t.ownerToken, t.orgId, BEYOND);
    assertError(
      await h.call({
        method: 'PUT',
        url: `/api/v1/organizations/${t.orgId}/roles/${above}`,
        headers: bearer(t.memberToken),
        payload: { name: 'renamed' },
      }),
      401,
      4003,
      /^role_id: the role holds what you do not: artifact:write$/,
    );
    const ownersBot = await ok(await createServiceAccount(bearer(t.ownerToken), t.orgId, ['*']), 201);
    for (const headers of [bearer(t.memberToken), { 'x-api-key': t.key }]) {
      assertError(
        await updateServiceAccount(headers, t.orgId, ownersBot.account_id, { capabilities: SUBSET }),
        401,
        4003,
        /^account_id: the service account holds what you do not: \*$/,
      );
    }
    assert.deepEqual(await capabilitiesOf(ownersBot.account_id), ['*']);
  });

  test('an invitation lands only while its inviter can still grant the role', async () => {
    const subsetRole = await createRole(t.ownerToken, t.orgId, SUBSET);
    const inviterRole = await createRole(t.ownerToken, t.orgId, ['members:invite', 'museum:read']);
    const inviter = await joinAs(t.ownerToken, t.orgId, inviterRole);

    // Still able: the invitee joins with the role.
    const first = await h.verifiedUser();
    await ok(await invite(bearer(inviter.token), t.orgId, first.email, subsetRole), 201);
    const firstMail = await h.lastEmail(first.email, 'organization_invitation');
    assert.equal((await ok(await accept(first.accessToken, firstMail.token as string))).role_id, subsetRole);

    // Demoted before the invitee accepts: the invitation no longer grants anything.
    const second = await h.verifiedUser();
    await ok(await invite(bearer(inviter.token), t.orgId, second.email, subsetRole), 201);
    const secondMail = await h.lastEmail(second.email, 'organization_invitation');
    const plainMember = (
      await db().query("SELECT id FROM account.roles WHERE organization_id = $1 AND name = 'member'", [
        t.orgId,
      ])
    ).rows[0].id;
    await ok(
      await h.call({
        method: 'PUT',
        url: `/api/v1/organizations/${t.orgId}/members/${inviter.accountId}/role`,
        headers: bearer(t.ownerToken),
        payload: { role_id: plainMember },
      }),
    );
    assertError(
      await accept(second.accessToken, secondMail.token as string),
      422,
      4002,
      /^token: the inviter can no longer grant this role \(museum:read\)/,
    );
    assert.equal(await roleOfMember(t.orgId, second.accountId), undefined);

    // A key's invitation dies with its archived service account.
    const third = await h.verifiedUser();
    const bot = await ok(
      await createServiceAccount(bearer(t.ownerToken), t.orgId, ['members:invite', 'museum:read']),
      201,
    );
    const botKey = await ok(
      await mintKey(bearer(t.ownerToken), bot.account_id, ['members:invite', 'museum:read']),
      201,
    );
    await ok(await invite({ 'x-api-key': botKey.key }, t.orgId, third.email, subsetRole), 201);
    const thirdMail = await h.lastEmail(third.email, 'organization_invitation');
    await ok(
      await h.call({
        method: 'DELETE',
        url: `/api/v1/service-accounts/${bot.account_id}`,
        headers: bearer(t.ownerToken),
      }),
    );
    assertError(await accept(third.accessToken, thirdMail.token as string), 422, 4002, /^token: the inviter/);
    assert.equal(await roleOfMember(t.orgId, third.accountId), undefined);
  });

  test('password:reset is never grantable, not even by the owner', async () => {
    assertError(
      await createServiceAccount(bearer(t.ownerToken), t.orgId, ['password:reset']),
      422,
      4002,
      /^capabilities: password:reset is never grantable$/,
    );
    const bot = await ok(await createServiceAccount(bearer(t.ownerToken), t.orgId, ['*']), 201);
    assertError(
      await mintKey(bearer(t.ownerToken), bot.account_id, ['password:reset']),
      422,
      4002,
      /^permissions: /,
    );
    assertError(
      await h.call({
        method: 'POST',
        url: `/api/v1/organizations/${t.orgId}/roles`,
        headers: bearer(t.ownerToken),
        payload: { name: 'resetter', permissions: ['password:reset', '*'] },
      }),
      422,
      4002,
      /^permissions: password:reset is never grantable; \* belongs to the owner role only$/,
    );
  });
});
