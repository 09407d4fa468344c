import assert from 'node:assert/strict';
import { after, before, mock } from 'node:test';
import {
  eventually,
  harnessFor,
  type OperationSecurity,
  operationName,
  perTenant,
  type RequestPatch,
  type SecuritySuite,
  type ServiceHarness,
  securitySuiteTests,
  startWebhookReceiver,
  type WebhookReceiver,
} from '@trustplane/kernel/testkit';
import { ORG_OPERATIONS, type OrgOperationName, type Role } from '../src/auth/roles.js';
import { backlexDomains } from '../src/domains-composition.js';
import { BacklexHarness, contract, type TestOrg, type TestUser } from './support/backlex.js';
import { subscribe } from './support/billing.js';

/**
 * The shared security matrix on backlex's 33 issue-16 operations and the 35 issue-17 ones built so far: every one refuses no cookie,
 * a forged or signed-out session, another org's member (404), a member whose role is too weak
 * (403) and a caller outside the org's `ipAllowlist` (403); the org routes keys may reach also
 * refuse a forged, revoked, expired, foreign (404), out-of-scope or out-of-`mcpTools` key; the
 * routes reserved to people refuse every key.
 */

/** A tenant: an org with an `ipAllowlist` covering the harness's addresses, and its owner. */
interface Tenant {
  org: TestOrg;
  owner: TestUser;
}

/** Inside the tenants' allowlist (every test user's address is in 198.51.0.0/16). */
const ALLOWED_IP = '198.51.200.7';
const OUTSIDE_IP = '203.0.113.9';

let h: BacklexHarness;
let suiteHarness: ServiceHarness<Tenant>;
let receiver: WebhookReceiver;
before(async () => {
  receiver = await startWebhookReceiver();
  // Domain verification asks a port nothing listens on: an answer (refused) at once, never the internet.
  h = await BacklexHarness.boot({ workers: true, env: { BACKLEX_DNS_SERVERS: '127.0.0.1:9' } });
  suiteHarness = harnessFor<Tenant>(h.service.booted, {
    contract,
    async tenant() {
      const org = await h.org();
      const allowlist = await h.inject({
        method: 'PATCH',
        url: `/api/org/${org.slug}`,
        as: org.owner,
        payload: { ipAllowlist: ['198.51.0.0/16'] },
      });
      assert.equal(allowlist.statusCode, 200, allowlist.body);
      // On `max` through the sandbox's checkout: the suite makes more projects than free's three.
      await subscribe(h, org, 'max');
      return { org, owner: org.owner };
    },
  });
});
after(async () => {
  await h?.close();
  await receiver?.close();
});

/** Each covered operation's place in the roles matrix (the route's `config.orgOperation`). */
const ORG_ROUTES: Record<string, OrgOperationName> = {
  'PATCH /api/org/{slug}': 'org.update',
  'DELETE /api/org/{slug}': 'org.delete',
  'GET /api/org/{slug}/members': 'members.list',
  'PATCH /api/org/{slug}/members/{id}': 'members.update',
  'DELETE /api/org/{slug}/members/{id}': 'members.remove',
  'POST /api/org/{slug}/members/{id}/resend': 'members.resend',
  'POST /api/org/{slug}/invitations': 'invitations.create',
  'GET /api/org/{slug}/audit': 'audit.list',
  'GET /api/org/{slug}/api-keys': 'apiKeys.list',
  'POST /api/org/{slug}/api-keys': 'apiKeys.create',
  'DELETE /api/org/{slug}/api-keys/{id}': 'apiKeys.revoke',
  'GET /api/org/{slug}/integrations': 'integrations.list',
  'POST /api/org/{slug}/integrations': 'integrations.create',
  'DELETE /api/org/{slug}/integrations/{id}': 'integrations.delete',
  'GET /api/org/{slug}/webhooks': 'webhooks.list',
  'POST /api/org/{slug}/webhooks': 'webhooks.create',
  'GET /api/org/{slug}/webhook-deliveries': 'webhookDeliveries.list',
  'DELETE /api/org/{slug}/webhooks/{id}': 'webhooks.delete',
  'POST /api/org/{slug}/webhooks/{id}/test': 'webhooks.test',
  'GET /api/org/{slug}/notifications': 'notifications.list',
  'POST /api/org/{slug}/notifications/{id}/read': 'notifications.read',
  'POST /api/org/{slug}/notifications/read-all': 'notifications.readAll',
  'GET /api/org/{slug}/sso': 'sso.get',
  'PUT /api/org/{slug}/sso': 'sso.put',
  'DELETE /api/org/{slug}/sso': 'sso.delete',
  'GET /api/org/{slug}/scim': 'scim.get',
  'POST /api/org/{slug}/scim/token': 'scim.mintToken',
  'DELETE /api/org/{slug}/scim/token': 'scim.revokeToken',
  // Issue 17: projects, branches, deploys, errors, billing
  'GET /api/org/{slug}/projects': 'projects.list',
  'POST /api/org/{slug}/projects': 'projects.create',
  'GET /api/org/{slug}/projects/{projectSlug}': 'projects.get',
  'PATCH /api/org/{slug}/projects/{projectSlug}': 'projects.update',
  'DELETE /api/org/{slug}/projects/{projectSlug}': 'projects.delete',
  'POST /api/org/{slug}/projects/{projectSlug}/pause': 'projects.pause',
  'POST /api/org/{slug}/projects/{projectSlug}/resume': 'projects.resume',
  'POST /api/org/{slug}/projects/{projectSlug}/provision-retry': 'projects.provisionRetry',
  'POST /api/org/{slug}/projects/{projectSlug}/reprovision-admin': 'projects.reprovisionAdmin',
  'POST /api/org/{slug}/projects/{projectSlug}/upgrade': 'projects.upgrade',
  'GET /api/org/{slug}/projects/{projectSlug}/deploys': 'deploys.list',
  'GET /api/org/{slug}/projects/{projectSlug}/errors': 'errors.list',
  'GET /api/org/{slug}/projects/{projectSlug}/branches': 'branches.list',
  'POST /api/org/{slug}/projects/{projectSlug}/branches': 'branches.create',
  'DELETE /api/org/{slug}/projects/{projectSlug}/branches/{id}': 'branches.delete',
  'GET /api/org/{slug}/projects/{projectSlug}/backups': 'backups.list',
  'POST /api/org/{slug}/projects/{projectSlug}/backups': 'backups.create',
  'POST /api/org/{slug}/projects/{projectSlug}/backups/{id}/restore': 'backups.restore',
  'POST /api/org/{slug}/projects/{projectSlug}/restore': 'projects.pitrRestore',
  'GET /api/org/{slug}/billing': 'billing.get',
  'POST /api/org/{slug}/billing/checkout': 'billing.checkout',
  'POST /api/org/{slug}/billing/packs/checkout': 'billing.packCheckout',
  'POST /api/org/{slug}/billing/subscription/cancel': 'billing.cancel',
  'POST /api/org/{slug}/billing/subscription/resume': 'billing.resume',
  // Issue 17: domains, overview, export (h17-domains)
  'GET /api/org/{slug}/projects/{projectSlug}/domains': 'domains.list',
  'POST /api/org/{slug}/projects/{projectSlug}/domains': 'domains.create',
  'POST /api/org/{slug}/projects/{projectSlug}/domains/{id}/verify': 'domains.verify',
  'DELETE /api/org/{slug}/projects/{projectSlug}/domains/{id}': 'domains.delete',
  'GET /api/org/{slug}/overview': 'org.overview',
  'POST /api/org/{slug}/export': 'org.export',
  // Issue 17: usage, alarms (h17-usage)
  'GET /api/org/{slug}/usage': 'usage.get',
  'GET /api/org/{slug}/usage/history': 'usage.history',
  'GET /api/org/{slug}/projects/{projectSlug}/alarms': 'alarms.list',
  'POST /api/org/{slug}/projects/{projectSlug}/alarms': 'alarms.create',
  'DELETE /api/org/{slug}/projects/{projectSlug}/alarms/{id}': 'alarms.delete',
};
const SESSION_ONLY = [
  'GET /api/orgs',
  'POST /api/org',
  'POST /api/invitations/accept',
  'GET /api/account',
  'PATCH /api/account',
];
/** Org operations no key may run: the matrix reserves them to people; notifications are a person's own. */
const NO_KEY = new Set(
  Object.entries(ORG_ROUTES)
    .filter(([, name]) => ORG_OPERATIONS[name].key === 'people' || name.startsWith('notifications.'))
    .map(([route]) => route),
);

const ROLE_BELOW: Record<Role, Role | null> = {
  owner: 'admin',
  admin: 'developer',
  developer: 'viewer',
  viewer: null,
};
/** Removing someone else needs an admin (anyone may remove themselves, i.e. leave). */
const ROLE_NEEDED: Partial<Record<OrgOperationName, Role>> = { 'members.remove': 'admin' };

const routeOf = (operation: { method: string; template: string }) =>
  `${operation.method} ${operation.template}`;

let sequence = 0;
const unique = (prefix: string) => `${prefix}-${process.pid}-${++sequence}`;

/** Runs `work` with the process clock (`Date`) moved by `offsetMs`: the service reads it in-process. */
async function atClock<T>(offsetMs: number, work: () => Promise<T>): Promise<T> {
  mock.timers.enable({ apis: ['Date'], now: Date.now() + offsetMs });
  try {
    return await work();
  } finally {
    mock.timers.reset();
  }
}

const cookieAt = (cookie: string, ip = ALLOWED_IP): RequestPatch => ({
  headers: { cookie, 'x-forwarded-for': ip },
});
const keyAt = (key: string, ip = ALLOWED_IP): RequestPatch => ({
  headers: { authorization: `Bearer ${key}`, 'x-forwarded-for': ip },
});

async function createKey(
  tenant: Tenant,
  body: Record<string, unknown>,
): Promise<{ id: string; secret: string }> {
  const response = await h.inject({
    method: 'POST',
    url: `/api/org/${tenant.org.slug}/api-keys`,
    as: tenant.owner,
    payload: { name: unique('suite'), ...body },
  });
  assert.equal(response.statusCode, 201, response.body);
  return response.json().key;
}

const fullKeyOf = perTenant(async (tenant: Tenant) => (await createKey(tenant, { scope: 'full' })).secret);
const readOnlyKeyOf = perTenant(
  async (tenant: Tenant) => (await createKey(tenant, { scope: 'read-only' })).secret,
);
// A full key narrowed to an operation none of these routes is.
/** The one operation the narrow key's `mcpTools` names (every other operation refuses it). */
const NARROW_TOOL = 'alarms.list';
const narrowKeyOf = perTenant(
  async (tenant: Tenant) => (await createKey(tenant, { scope: 'full', mcpTools: [NARROW_TOOL] })).secret,
);
const memberCache = new Map<string, Promise<TestUser>>();
const memberOf = (tenant: Tenant, role: Role) => {
  const key = `${tenant.org.id}:${role}`;
  let member = memberCache.get(key);
  if (!member) {
    member = h.member(tenant.org, role as 'admin' | 'developer' | 'viewer');
    memberCache.set(key, member);
  }
  return member;
};

/** A pending invitation's id (listed as a member with `status: "invited"`). */
async function invitationOf(tenant: Tenant): Promise<string> {
  const response = await h.invite(tenant.org, `${unique('invitee')}@example.com`, 'viewer');
  assert.equal(response.statusCode, 201, response.body);
  return response.json().invite.id;
}

async function webhookOf(tenant: Tenant): Promise<string> {
  const response = await h.inject({
    method: 'POST',
    url: `/api/org/${tenant.org.slug}/webhooks`,
    as: tenant.owner,
    payload: { url: `${receiver.origin}/${unique('hook')}`, events: ['member.*'] },
  });
  assert.equal(response.statusCode, 201, response.body);
  return response.json().webhook.id;
}
const sharedWebhookOf = perTenant(webhookOf);

async function integrationOf(tenant: Tenant): Promise<string> {
  const response = await h.inject({
    method: 'POST',
    url: `/api/org/${tenant.org.slug}/integrations`,
    as: tenant.owner,
    payload: { kind: 'slack', config: { webhookUrl: 'https://hooks.slack.com/services/T/B/X' } },
  });
  assert.equal(response.statusCode, 201, response.body);
  return response.json().integration.id;
}

/** The owner's notification of a member joining (fanned out by the workers). */
const notificationOf = perTenant(async (tenant: Tenant) => {
  await memberOf(tenant, 'viewer');
  return eventually(async () => {
    const response = await h.inject({
      method: 'GET',
      url: `/api/org/${tenant.org.slug}/notifications`,
      as: tenant.owner,
    });
    return (response.json().notifications as { id: string }[])[0]?.id;
  }, 'the owner is notified of the member who joined');
});

/** An invitation to another org for the tenant's owner: the token of its mail. */
async function invitationTokenFor(tenant: Tenant): Promise<string> {
  const inviting = await h.org();
  const invited = await h.invite(inviting, tenant.owner.email, 'viewer');
  assert.equal(invited.statusCode, 201, invited.body);
  return h.invitationToken(tenant.owner.email);
}

const unauthorized = { status: 401, code: 'UNAUTHORIZED' };
const forbidden = { status: 403, code: 'FORBIDDEN' };
const notFound = { status: 404, code: 'NOT_FOUND' };

const operations: Record<string, OperationSecurity<Tenant>> = {};
for (const route of SESSION_ONLY) operations[route] = { scheme: 'cookie', expect: { apiKey: unauthorized } };
for (const route of Object.keys(ORG_ROUTES)) {
  operations[route] = { scheme: NO_KEY.has(route) ? 'cookie' : ['cookie', 'apiKey'] };
}
const withRequest = (route: string, extra: Partial<OperationSecurity<Tenant>>) => {
  operations[route] = { ...(operations[route] as OperationSecurity<Tenant>), ...extra };
};
withRequest('POST /api/org', { request: () => ({ payload: { name: unique('Suite org') } }) });
withRequest('PATCH /api/account', { request: () => ({ payload: { name: 'Renamed' } }) });
withRequest('POST /api/invitations/accept', {
  ownTenant: 'accepting joins another org',
  request: async ({ tenant }) => ({
    payload: { token: await invitationTokenFor(tenant) },
  }),
});
withRequest('PATCH /api/org/{slug}', { request: () => ({ payload: { name: 'Renamed org' } }) });
withRequest('DELETE /api/org/{slug}', { ownTenant: 'the org is gone afterwards' });
withRequest('PATCH /api/org/{slug}/members/{id}', {
  params: { id: invitationOf },
  request: () => ({ payload: { role: 'developer' } }),
});
withRequest('DELETE /api/org/{slug}/members/{id}', { params: { id: invitationOf } });
// Resending waits a minute after the last mail: the invitation is made two minutes ago.
withRequest('POST /api/org/{slug}/members/{id}/resend', {
  params: { id: (tenant) => atClock(-120_000, () => invitationOf(tenant)) },
});
withRequest('POST /api/org/{slug}/invitations', {
  request: () => ({ payload: { email: `${unique('invited')}@example.com`, role: 'viewer' } }),
});
withRequest('POST /api/org/{slug}/api-keys', {
  request: () => ({ payload: { name: unique('key'), scope: 'read-only' } }),
});
withRequest('DELETE /api/org/{slug}/api-keys/{id}', {
  params: { id: async (tenant) => (await createKey(tenant, { scope: 'read-only' })).id },
});
withRequest('POST /api/org/{slug}/integrations', {
  request: () => ({
    payload: { kind: 'slack', config: { webhookUrl: 'https://hooks.slack.com/services/T/B/Y' } },
  }),
});
withRequest('DELETE /api/org/{slug}/integrations/{id}', { params: { id: integrationOf } });
withRequest('POST /api/org/{slug}/webhooks', {
  request: () => ({ payload: { url: `${receiver.origin}/${unique('hook')}`, events: ['*'] } }),
});
withRequest('DELETE /api/org/{slug}/webhooks/{id}', { params: { id: webhookOf } });
withRequest('POST /api/org/{slug}/webhooks/{id}/test', { params: { id: sharedWebhookOf } });
withRequest('POST /api/org/{slug}/notifications/{id}/read', { params: { id: notificationOf } });
withRequest('PUT /api/org/{slug}/sso', {
  request: () => ({
    payload: {
      type: 'oidc',
      emailDomain: null,
      config: { issuer: 'https://idp.example.com', clientId: 'suite', clientSecret: 'suite-secret' },
    },
  }),
});

/** A project of the tenant, provisioned (`active`) by the workers; `then` runs an action on it first. */
async function projectOf(tenant: Tenant, then?: 'pause'): Promise<string> {
  const created = await h.inject({
    method: 'POST',
    url: `/api/org/${tenant.org.slug}/projects`,
    as: tenant.owner,
    payload: { name: unique('Suite project') },
  });
  assert.equal(created.statusCode, 201, created.body);
  const slug = created.json().project.slug as string;
  // Generous: provisioning also starts the file's history (fsyncs); the suite provisions many at once.
  await eventually(
    async () => {
      const got = await h.inject({
        method: 'GET',
        url: `/api/org/${tenant.org.slug}/projects/${slug}`,
        as: tenant.owner,
      });
      return got.json().project?.status === 'active' ? true : undefined;
    },
    `project ${slug} active`,
    120_000,
  );
  if (then) {
    const done = await h.inject({
      method: 'POST',
      url: `/api/org/${tenant.org.slug}/projects/${slug}/${then}`,
      as: tenant.owner,
    });
    assert.equal(done.statusCode, 200, done.body);
  }
  return slug;
}
const sharedProjectOf = perTenant((tenant: Tenant) => projectOf(tenant));

async function branchOf(tenant: Tenant): Promise<string> {
  const response = await h.inject({
    method: 'POST',
    url: `/api/org/${tenant.org.slug}/projects/${await sharedProjectOf(tenant)}/branches`,
    as: tenant.owner,
    payload: { name: unique('suite').toLowerCase() },
  });
  assert.equal(response.statusCode, 201, response.body);
  return response.json().branch.id;
}

withRequest('POST /api/org/{slug}/projects', {
  request: () => ({ payload: { name: unique('Suite project') } }),
});
withRequest('PATCH /api/org/{slug}/projects/{projectSlug}', {
  request: () => ({ payload: { name: 'Renamed project' } }),
});
withRequest('DELETE /api/org/{slug}/projects/{projectSlug}', {
  params: { projectSlug: (tenant) => projectOf(tenant) },
});
withRequest('POST /api/org/{slug}/projects/{projectSlug}/pause', {
  params: { projectSlug: (tenant) => projectOf(tenant) },
});
withRequest('POST /api/org/{slug}/projects/{projectSlug}/resume', {
  params: { projectSlug: (tenant) => projectOf(tenant, 'pause') },
});
withRequest('POST /api/org/{slug}/projects/{projectSlug}/provision-retry', {
  // Access is decided before the project's state; the owner's own retry of a `failed` project is
  // projects-provisioning.test.ts's.
  skip: {
    control:
      'retry needs a failed project, which only a failing provisioning makes (projects-provisioning.test.ts)',
  },
});
withRequest('POST /api/org/{slug}/projects/{projectSlug}/branches', {
  request: () => ({ payload: { name: unique('suite').toLowerCase() } }),
});
withRequest('DELETE /api/org/{slug}/projects/{projectSlug}/branches/{id}', { params: { id: branchOf } });
async function domainOf(tenant: Tenant): Promise<string> {
  const response = await h.inject({
    method: 'POST',
    url: `/api/org/${tenant.org.slug}/projects/${await sharedProjectOf(tenant)}/domains`,
    as: tenant.owner,
    payload: { hostname: `${unique('suite').toLowerCase()}.example.com` },
  });
  assert.equal(response.statusCode, 201, response.body);
  return response.json().domain.id;
}
withRequest('POST /api/org/{slug}/projects/{projectSlug}/domains', {
  request: () => ({ payload: { hostname: `${unique('suite').toLowerCase()}.example.com` } }),
});
// No DNS server answers in the suite: verify answers 200 `pending` with the lookup's error.
withRequest('POST /api/org/{slug}/projects/{projectSlug}/domains/{id}/verify', { params: { id: domainOf } });
withRequest('DELETE /api/org/{slug}/projects/{projectSlug}/domains/{id}', { params: { id: domainOf } });
withRequest('POST /api/org/{slug}/export', {
  // One export per org every 10 minutes: each accepted request starts with the org's turn back.
  request: async ({ tenant }) => {
    await backlexDomains(h.service.booted.context).orgExport.limiter.delete(tenant.org.id);
    return {};
  },
});
/** A completed backup of the tenant's shared project. */
async function backupOf(tenant: Tenant): Promise<string> {
  const url = `/api/org/${tenant.org.slug}/projects/${await sharedProjectOf(tenant)}/backups`;
  const created = await h.inject({ method: 'POST', url, as: tenant.owner, payload: {} });
  assert.equal(created.statusCode, 201, created.body);
  const id = created.json().backup.id as string;
  await eventually(
    async () => {
      const listed = await h.inject({ method: 'GET', url, as: tenant.owner });
      return listed.json().backups.find((backup: { id: string }) => backup.id === id)?.status === 'completed'
        ? true
        : undefined;
    },
    `backup ${id} completed`,
    120_000,
  );
  return id;
}
withRequest('POST /api/org/{slug}/projects/{projectSlug}/backups', {
  request: () => ({ payload: { kind: 'manual' } }),
});
withRequest('POST /api/org/{slug}/projects/{projectSlug}/backups/{id}/restore', {
  params: { id: backupOf },
});
withRequest('POST /api/org/{slug}/projects/{projectSlug}/restore', {
  request: () => ({ payload: { timestamp: Date.now() } }),
});
/** Alarm thresholds 1–100, each used once per tenant's shared project (a duplicate is 409). */
let alarmThreshold = 0;
const nextThreshold = () => (alarmThreshold++ % 100) + 1;
async function alarmOf(tenant: Tenant): Promise<string> {
  const response = await h.inject({
    method: 'POST',
    url: `/api/org/${tenant.org.slug}/projects/${await sharedProjectOf(tenant)}/alarms`,
    as: tenant.owner,
    payload: { metric: 'd1', thresholdPct: nextThreshold() },
  });
  assert.equal(response.statusCode, 201, response.body);
  return response.json().alarm.id;
}
withRequest('POST /api/org/{slug}/projects/{projectSlug}/alarms', {
  request: () => ({ payload: { metric: 'requests', thresholdPct: nextThreshold() } }),
});
withRequest('DELETE /api/org/{slug}/projects/{projectSlug}/alarms/{id}', { params: { id: alarmOf } });
withRequest('POST /api/org/{slug}/billing/checkout', { request: () => ({ payload: { plan: 'pro' } }) });
withRequest('POST /api/org/{slug}/billing/packs/checkout', {
  request: () => ({ payload: { type: 'requests' } }),
});
withRequest('POST /api/org/{slug}/billing/subscription/resume', {
  // Resuming needs a cancelled (not yet ended) subscription: the owner cancels first.
  request: async ({ tenant }) => {
    const cancelled = await h.inject({
      method: 'POST',
      url: `/api/org/${tenant.org.slug}/billing/subscription/cancel`,
      as: tenant.owner,
    });
    assert.equal(cancelled.statusCode, 200, cancelled.body);
    return {};
  },
});

const suite: SecuritySuite<Tenant> = {
  schemes: {
    // better-auth's session cookie, as the seed's `sessionCookie` names it.
    cookie: {
      credential: (tenant) => tenant.owner.cookie,
      malformed: 'better-auth.session_token=forged.c2lnbmF0dXJl',
      async revoked(tenant) {
        // A second session of the owner, signed out through better-auth's own route.
        const cookie = await h.signIn(tenant.owner);
        const signedOut = await h.inject({
          method: 'POST',
          url: '/api/auth/sign-out',
          headers: { cookie, origin: 'http://localhost:8787', 'x-forwarded-for': tenant.owner.ip },
          skipContract: true,
        });
        assert.equal(signedOut.statusCode, 200, signedOut.body);
        // The session token the client held; its 60 s cache cookie is the README's documented bound
        // (session.test.ts measures it).
        return cookie
          .split('; ')
          .filter((part) => part.startsWith('better-auth.session_token='))
          .join('; ');
      },
      place: (credential) => cookieAt(credential),
      expect: { missing: unauthorized, malformed: unauthorized, revoked: unauthorized, foreign: notFound },
      refusals: {
        role: {
          async request({ tenant, operation }) {
            const name = ORG_ROUTES[routeOf(operation)];
            if (!name) return { notApplicable: 'not an org route: every signed-in person may' };
            const weaker = ROLE_BELOW[ROLE_NEEDED[name] ?? ORG_OPERATIONS[name].minimumRole];
            if (!weaker) return { notApplicable: 'every member may' };
            return cookieAt((await memberOf(tenant, weaker)).cookie);
          },
          expect: forbidden,
        },
        ipAllowlist: {
          request: ({ tenant, operation }) =>
            ORG_ROUTES[routeOf(operation)]
              ? cookieAt(tenant.owner.cookie, OUTSIDE_IP)
              : { notApplicable: 'not an org route: no org allowlist applies' },
          expect: forbidden,
        },
        apiKey: {
          async request({ tenant, operation }) {
            if (!NO_KEY.has(routeOf(operation)) && ORG_ROUTES[routeOf(operation)])
              return { notApplicable: 'keys may run it (the apiKey scheme covers it)' };
            return keyAt(await fullKeyOf(tenant));
          },
          expect: forbidden,
        },
      },
    },
    // An org API key, `Authorization: Bearer pak_…`.
    apiKey: {
      credential: (tenant) => fullKeyOf(tenant),
      malformed: `pak_${'0'.repeat(64)}`,
      async revoked(tenant) {
        const key = await createKey(tenant, { scope: 'full' });
        const revoked = await h.inject({
          method: 'DELETE',
          url: `/api/org/${tenant.org.slug}/api-keys/${key.id}`,
          as: tenant.owner,
        });
        assert.equal(revoked.statusCode, 204, revoked.body);
        return key.secret;
      },
      place: (credential) => keyAt(credential),
      expect: { missing: unauthorized, malformed: unauthorized, revoked: unauthorized, foreign: notFound },
      refusals: {
        // A one-day key, sent with the clock two days on (a fresh key each time: the plugin
        // deletes an expired key it is shown).
        expired: {
          request: async ({ tenant }) =>
            keyAt((await createKey(tenant, { scope: 'full', expiresInDays: 1 })).secret),
          expect: unauthorized,
          around: (send) => atClock(2 * 86_400_000, send),
        },
        scope: {
          request: async ({ tenant, operation }) =>
            operation.method === 'GET'
              ? { notApplicable: 'every scope reads' }
              : keyAt(await readOnlyKeyOf(tenant)),
          expect: forbidden,
        },
        mcpTools: {
          request: async ({ tenant, operation }) =>
            ORG_ROUTES[routeOf(operation)] === NARROW_TOOL
              ? { notApplicable: `the narrow key names ${NARROW_TOOL}, its one tool` }
              : keyAt(await narrowKeyOf(tenant)),
          expect: forbidden,
        },
        ipAllowlist: {
          request: async ({ tenant }) => keyAt(await fullKeyOf(tenant), OUTSIDE_IP),
          expect: forbidden,
        },
      },
    },
  },
  operations,
  resources: { slug: (tenant) => tenant.org.slug, projectSlug: sharedProjectOf },
  errorCode: (response) => (response.json() as { error?: { code?: string } }).error?.code,
};

assert.equal(Object.keys(operations).length, 68);
assert.ok(contract.operations().every((operation) => operationName(operation) === routeOf(operation)));

securitySuiteTests(() => suiteHarness, suite, { covered: 68, public: [] });
