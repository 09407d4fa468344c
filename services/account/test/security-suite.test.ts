import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before } from 'node:test';
import { perTenant, type SecuritySuite, securitySuiteTests } from '@trustplane/kernel/testkit';
import { type AccountTenant, bearer, Harness, PASSWORD, testEnv } from './helpers.js';

testEnv();
let h: Harness;
before(async () => {
  h = await Harness.boot();
});
after(async () => {
  await h?.close();
});

async function created(url: string, tenant: AccountTenant, payload: Record<string, unknown>) {
  const response = await h.call({ method: 'POST', url, headers: bearer(tenant.accessToken), payload });
  assert.equal(response.statusCode, 201, response.body);
  return response.json().data as Record<string, string>;
}

const serviceAccountOf = perTenant(
  async (tenant: AccountTenant) =>
    (
      await created('/api/v1/service-accounts', tenant, {
        organization_id: tenant.orgId,
        display_name: 'Render bot',
        capabilities: ['museum:read'],
        allowed_tools: ['thumbnailer'],
      })
    ).account_id as string,
);

const apiKeyOf = async (tenant: AccountTenant) =>
  created(`/api/v1/service-accounts/${await serviceAccountOf(tenant)}/api-keys`, tenant, {
    name: `key-${randomUUID().slice(0, 8)}`,
    permissions: ['museum:read'],
  });

const newRole = async (tenant: AccountTenant) =>
  (
    await created(`/api/v1/organizations/${tenant.orgId}/roles`, tenant, {
      name: `auditor-${randomUUID().slice(0, 8)}`,
      permissions: ['read:organizations'],
    })
  ).role_id as string;
const roleOf = perTenant(newRole);

/** A second session of the tenant (a new login): what revoking a session revokes. */
async function otherSession(tenant: AccountTenant): Promise<{ token: string; sessionId: string }> {
  const token = (await h.login(tenant.email)).access_token as string;
  const whoami = await h.call({ method: 'GET', url: '/api/v1/auth/whoami', headers: bearer(token) });
  assert.equal(whoami.statusCode, 200, whoami.body);
  return { token, sessionId: whoami.json().data.session_id };
}

/** The tenant's token for another organization it belongs to (a token speaks for one org). */
async function switchedTo(tenant: AccountTenant, orgId: string): Promise<AccountTenant> {
  const response = await h.call({
    method: 'POST',
    url: `/api/v1/organizations/${orgId}/switch`,
    headers: bearer(tenant.accessToken),
  });
  assert.equal(response.statusCode, 200, response.body);
  return { ...tenant, orgId, accessToken: response.json().data.access_token as string };
}

/** A new user who owns a team organization, acting in it (a personal organization cannot be deleted). */
async function teamOwner(): Promise<AccountTenant> {
  const owner = await h.verifiedUser();
  const team = await created('/api/v1/organizations', owner, {
    name: 'Team',
    slug: `team-${randomUUID().slice(0, 8)}`,
  });
  return switchedTo(owner, team.org_id as string);
}

/** A new user who joined `orgId` by accepting the owner's invitation. */
async function joined(owner: AccountTenant, orgId: string): Promise<AccountTenant> {
  const member = await h.verifiedUser();
  await created(`/api/v1/organizations/${orgId}/members`, owner, { email: member.email });
  const { token } = await h.lastEmail(member.email, 'organization_invitation');
  const accept = await h.call({
    method: 'POST',
    url: '/api/v1/invitations/accept',
    headers: bearer(member.accessToken),
    payload: { token },
    skipContract: true,
  });
  assert.equal(accept.statusCode, 200, accept.body);
  return member;
}

/** A member (not the owner) of a team organization, acting in it: who can leave it. */
async function teamMember(): Promise<AccountTenant> {
  const owner = await teamOwner();
  return switchedTo(await joined(owner, owner.orgId), owner.orgId);
}

/** A member of the tenant's organization other than its owner (whose role and membership are fixed). */
const memberOf = async (tenant: AccountTenant) => (await joined(tenant, tenant.orgId)).accountId;

const suite: SecuritySuite<AccountTenant> = {
  schemes: {
    // Access tokens from login/register/refresh/token-exchange, as `Authorization: Bearer`.
    jwt: {
      credential: (tenant) => tenant.accessToken,
      malformed: 'eyJhbGciOiJSUzI1NiJ9.bm90LWEtdG9rZW4.c2lnbmF0dXJl',
      async revoked(tenant) {
        const { token } = await otherSession(tenant);
        const logout = await h.call({ method: 'POST', url: '/api/v1/auth/logout', headers: bearer(token) });
        assert.equal(logout.statusCode, 200, logout.body);
        return token;
      },
      place: (credential) => ({ headers: bearer(credential) }),
      expect: {
        missing: { status: 401, code: 4003 },
        malformed: { status: 401, code: 4003 },
        revoked: { status: 401, code: 4003 },
        // Another organization's resources: 404 to a non-member (README, "Acting in an org").
        foreign: { status: 404, code: 4004 },
      },
    },
    // A service account's API key, exchanged for a JWT.
    apiKey: {
      credential: async (tenant) => (await apiKeyOf(tenant)).key as string,
      malformed: 'ak_live_notakey',
      async revoked(tenant) {
        const key = await apiKeyOf(tenant);
        const revoke = await h.call({
          method: 'POST',
          url: `/api/v1/api-keys/${key.api_key_id}/revoke`,
          headers: bearer(tenant.accessToken),
          payload: { reason: 'suite' },
        });
        assert.equal(revoke.statusCode, 200, revoke.body);
        return key.key as string;
      },
      place: (credential) => ({ headers: { 'x-api-key': credential } }),
      expect: {
        // The seed's 4000 for a missing required header.
        missing: { status: 400, code: 4000 },
        malformed: { status: 401, code: 4003 },
        revoked: { status: 401, code: 4003 },
        foreign: 401,
      },
    },
  },
  operations: {
    'GET /api/v1/me': 'jwt',
    'PUT /api/v1/me': { scheme: 'jwt', request: () => ({ payload: { display_name: 'Jane D.' } }) },
    'POST /api/v1/me/password': {
      scheme: 'jwt',
      ownTenant: 'a password change ends the other sessions of its caller',
      request: () => ({ payload: { current_password: PASSWORD, new_password: 'NewSecurePass456!' } }),
    },
    'GET /api/v1/me/sessions': 'jwt',
    'DELETE /api/v1/me/sessions/{session_id}': {
      scheme: 'jwt',
      params: { session_id: async (tenant) => (await otherSession(tenant)).sessionId },
    },
    'GET /api/v1/me/activities': 'jwt',
    'POST /api/v1/auth/logout': { scheme: 'jwt', ownTenant: 'logging out revokes its caller' },
    'POST /api/v1/auth/logout-all': { scheme: 'jwt', ownTenant: 'logging out revokes its caller' },
    'GET /api/v1/auth/whoami': 'jwt',
    'POST /api/v1/auth/token-exchange': 'apiKey',
    'GET /api/v1/organizations': 'jwt',
    'POST /api/v1/organizations': {
      scheme: 'jwt',
      request: () => ({ payload: { name: 'Acme Corp', slug: `acme-${randomUUID().slice(0, 8)}` } }),
    },
    'GET /api/v1/organizations/{org_id}': 'jwt',
    'PUT /api/v1/organizations/{org_id}': {
      scheme: 'jwt',
      request: () => ({ payload: { name: 'Acme Inc.' } }),
    },
    'DELETE /api/v1/organizations/{org_id}': {
      scheme: 'jwt',
      ownTenant: { why: 'deleting takes the organization from its owner', make: teamOwner },
    },
    'POST /api/v1/organizations/{org_id}/switch': {
      scheme: 'jwt',
      ownTenant: 'switching replaces the caller’s tokens with ones for the new organization',
    },
    'POST /api/v1/organizations/{org_id}/leave': {
      scheme: 'jwt',
      ownTenant: { why: 'leaving ends the caller’s membership (an owner cannot leave)', make: teamMember },
    },
    'GET /api/v1/organizations/{org_id}/members': 'jwt',
    'POST /api/v1/organizations/{org_id}/members': {
      scheme: 'jwt',
      request: () => ({ payload: { email: `invitee-${randomUUID().slice(0, 8)}@example.com` } }),
    },
    'DELETE /api/v1/organizations/{org_id}/members/{account_id}': {
      scheme: 'jwt',
      params: { account_id: memberOf },
    },
    'PUT /api/v1/organizations/{org_id}/members/{account_id}/role': {
      scheme: 'jwt',
      params: { account_id: memberOf },
      request: async ({ tenant }) => ({ payload: { role_id: await roleOf(tenant) } }),
    },
    'GET /api/v1/organizations/{org_id}/roles': 'jwt',
    'POST /api/v1/organizations/{org_id}/roles': {
      scheme: 'jwt',
      request: () => ({
        payload: { name: `reader-${randomUUID().slice(0, 8)}`, permissions: ['read:organizations'] },
      }),
    },
    'GET /api/v1/organizations/{org_id}/roles/{role_id}': 'jwt',
    'PUT /api/v1/organizations/{org_id}/roles/{role_id}': {
      scheme: 'jwt',
      request: () => ({ payload: { permissions: ['read:organizations', 'audit_logs:read'] } }),
    },
    // A role of its own: the shared one is given to a member above, and an assigned role stays.
    'DELETE /api/v1/organizations/{org_id}/roles/{role_id}': { scheme: 'jwt', params: { role_id: newRole } },
    'GET /api/v1/organizations/{org_id}/activities': 'jwt',
    'GET /api/v1/service-accounts': {
      scheme: 'jwt',
      request: ({ tenant }) => ({ query: { organization_id: tenant.orgId } }),
    },
    'POST /api/v1/service-accounts': {
      scheme: 'jwt',
      request: ({ tenant }) => ({
        payload: {
          organization_id: tenant.orgId,
          display_name: 'Bot',
          capabilities: ['museum:read'],
          allowed_tools: ['thumbnailer'],
        },
      }),
    },
    'GET /api/v1/service-accounts/{account_id}': 'jwt',
    'PUT /api/v1/service-accounts/{account_id}': {
      scheme: 'jwt',
      request: ({ tenant }) => ({
        payload: { organization_id: tenant.orgId, display_name: 'Render bot v2' },
      }),
    },
    'DELETE /api/v1/service-accounts/{account_id}': 'jwt',
    'POST /api/v1/service-accounts/{account_id}/pause': 'jwt',
    'POST /api/v1/service-accounts/{account_id}/resume': 'jwt',
    'GET /api/v1/service-accounts/{account_id}/api-keys': 'jwt',
    'POST /api/v1/service-accounts/{account_id}/api-keys': {
      scheme: 'jwt',
      request: () => ({ payload: { name: 'suite key', permissions: ['museum:read'] } }),
    },
    'POST /api/v1/api-keys/{api_key_id}/revoke': {
      scheme: 'jwt',
      request: () => ({ payload: { reason: 'suite' } }),
    },
    'DELETE /api/v1/api-keys/{api_key_id}': 'jwt',
  },
  resources: {
    org_id: (tenant) => tenant.orgId,
    role_id: roleOf,
    account_id: serviceAccountOf,
    api_key_id: async (tenant) => (await apiKeyOf(tenant)).api_key_id as string,
  },
  errorCode: (response) => (response.json() as { code?: number }).code,
};

securitySuiteTests(() => h.service, suite, {
  covered: 38,
  public: [
    'POST /api/v1/auth/register',
    'POST /api/v1/auth/login',
    'POST /api/v1/auth/refresh',
    'POST /api/v1/auth/resend-verification',
    'POST /api/v1/auth/password-reset',
    'POST /api/v1/auth/password-reset/confirm',
    'POST /api/v1/auth/verify',
    'GET /api/v1/auth/public-key',
    'GET /health',
    'GET /health/detailed',
    'GET /metrics',
    'GET /api/v1/organizations/{org_id}/check',
  ],
});
