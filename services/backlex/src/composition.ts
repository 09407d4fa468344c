import { createHmac } from 'node:crypto';
import {
  createLeasedRateLimiter,
  createRateLimiter,
  deriveKey,
  type ServiceContext,
} from '@trustplane/kernel';
import type { Kysely } from 'kysely';
import { createAuditLog } from './audit/audit.js';
import { createAccessCache } from './auth/access-cache.js';
import { createAuthTransactions } from './auth/auth-transaction.js';
import { createPluginMembershipAudit, type PluginMembershipAudit } from './audit/plugin-membership-audit.js';
import { createSessionMemo } from './auth/session-memo.js';
import { createBacklexAuth } from './auth/better-auth.js';
import { createOrgAccess, type KeyOrgAccessResolver } from './auth/org-access.js';
import type { KeyPrincipal } from './auth/principal.js';
import { createAuditRepository } from './db/audit-repository.js';
import { createMemberRepository, createMembershipWrites } from './db/member-repository.js';
import { createOrgRepository } from './db/org-repository.js';
import type { BacklexDatabase } from './db/tables.js';
import { eventsTables } from './db/events-executor.js';
import { outboxAdapter } from './events/publish-event.js';
import { backlexBilling } from './billing-composition.js';
import { backlexEvents } from './events-composition.js';
import { createMembers } from './members/members.js';
import { createAccount } from './account/account.js';
import { createAccountRepository } from './db/account-repository.js';
import { createApiKeys } from './api-keys/api-keys.js';
import { type ApiKeyRow, createApiKeyRepository } from './db/api-key-repository.js';
import { createScimDirectoryRepository } from './db/scim-directory-repository.js';
import { createSsoProviderRepository } from './db/sso-provider-repository.js';
import { applyDnsServers } from './sso/dns-servers.js';
import { loadSsoSettings } from './sso/sso-settings.js';
import { createOidcSecretBox } from './sso/client-secret.js';
import { createSso } from './sso/sso.js';
import { createScim } from './scim/scim.js';
import { createOrgs, type OrgDeletionHook, type SyncManagedWebhook } from './orgs/orgs.js';
import { backlexProjects } from './projects-composition.js';
import { backlexDomains } from './domains-composition.js';
import { backlexUsage } from './usage-composition.js';

/**
 * Origins that are never foreign for a cookie-bearing request: the service on `localhost` and
 * `127.0.0.1` at its port, and its public URL (`TRUSTPLANE_PUBLIC_HOST`).
 */
export function serviceOrigins(publicUrl: string): string[] {
  const url = new URL(publicUrl);
  const port = url.port ? `:${url.port}` : '';
  return [...new Set([`http://localhost${port}`, `http://127.0.0.1${port}`, url.origin])];
}

/** Seams the other areas fill in (API keys: h16-sso). */
export interface BacklexOverrides {
  /** Authenticates `Authorization: Bearer pak_…`; undefined answers 401 for any bearer key. */
  authenticateKey?: (token: string) => Promise<KeyPrincipal>;
  keyAccess?: KeyOrgAccessResolver;
  /** The events area's managed webhook for `Org.webhookUrl` (h16-events). */
  syncManagedWebhook?: SyncManagedWebhook;
  /** Revocations when an org is deleted (API keys, SSO, SCIM: h16-sso). */
  onOrgDeleted?: OrgDeletionHook[];
  /** Issue 16: 10 orgs a day per user. */
  orgsPerDay?: number;
  /** Issue 16: 30 invitation mails an hour per org. */
  invitationsPerHour?: number;
  /** Issue 16: 600 requests a minute per user or key. */
  requestsPerMinute?: number;
}

/** Composition root: one set of repositories and domain modules per service context. */
export function createBacklex(context: ServiceContext, overrides: BacklexOverrides = {}) {
  const database = context.database<BacklexDatabase>();
  const db = database.kysely;
  const trustedOrigins = serviceOrigins(context.publicUrl);
  const ssoSettings = loadSsoSettings(context.env);
  // The SSO plugin's domain-verification TXT lookup goes through the default resolver.
  applyDnsServers(ssoSettings.dnsServers);
  const oidcSecrets = createOidcSecretBox(deriveKey(context.signingSecret, 'backlex:sso-client-secret'));
  // better-auth writes through a Kysely that joins backlex's transactions (README, "Audit").
  const authTransactions = createAuthTransactions(db);
  // Set once the audit log and outbox exist (below); the plugins call it only while serving.
  let pluginAudit: PluginMembershipAudit | undefined;
  const auth = createBacklexAuth({
    db: authTransactions.kysely as unknown as Kysely<unknown>,
    onScimMemberChange: (change) => (pluginAudit as PluginMembershipAudit).scimChange(change),
    onSsoJitJoin: (join) => {
      authTransactions.noteJoin(join);
    },
    mailer: context.mailer,
    secret: createHmac('sha256', context.signingSecret).update('better-auth').digest('hex'),
    baseURL: context.publicUrl,
    trustedOrigins,
    trustedIdpOrigins: ssoSettings.trustedIdpOrigins,
    oidcSecrets,
  });
  const orgRepository = createOrgRepository(db);
  // The org gate's and the key verifier's answers, held per process (README, "Hot path").
  const accessCache = createAccessCache({ pool: database.pool, logger: context.logger });
  const cachedMemberships = accessCache.lookup<Awaited<ReturnType<typeof orgRepository.membershipBySlug>>>();
  const cachedOrgs = accessCache.lookup<Awaited<ReturnType<typeof orgRepository.activeBySlug>>>();
  const gateOrgs = {
    ...orgRepository,
    membershipBySlug: (slug: string, userId: string) =>
      cachedMemberships.get(
        `${slug}\u0000${userId}`,
        () => orgRepository.membershipBySlug(slug, userId),
        (found) => (found ? [`org:${found.org.id}`] : []),
      ),
    activeBySlug: (slug: string) =>
      cachedOrgs.get(
        slug,
        () => orgRepository.activeBySlug(slug),
        (org) => (org ? [`org:${org.id}`] : []),
      ),
  };
  const memberRepository = createMemberRepository(db);
  const auditRepository = createAuditRepository(db);
  const audit = createAuditLog(auditRepository);
  // Events out (h16-events): one outbox for the service, the catalogue's `events` table + fan-out job.
  const events = backlexEvents(context);
  const outbox = outboxAdapter(events.events);
  const syncManagedWebhook: SyncManagedWebhook =
    overrides.syncManagedWebhook ??
    (async (trx, change) => ({
      secret: (await events.webhooks.setManagedWebhook(eventsTables(trx), change.organizationId, change.url))
        ?.secret,
    }));
  const transaction = database.transaction;
  pluginAudit = createPluginMembershipAudit({
    authTransactions,
    memberships: createMembershipWrites(),
    audit,
    outbox,
    transaction,
    logWarning: (message, fields) => context.logger.warn(fields, message),
  });
  // Billing (h17-billing): one per context, shared with the renewal job.
  const billing = backlexBilling(context);
  const projectsArea = backlexProjects(context);
  const sso = createSso({
    auth,
    providers: createSsoProviderRepository(db),
    publicUrl: context.publicUrl,
    oidcSecrets,
    audit,
    outbox,
    transaction,
    authTransactions,
  });
  const scim = createScim({
    auth,
    authTransactions,
    db,
    directory: createScimDirectoryRepository(db),
    audit,
    outbox,
    publicUrl: context.publicUrl,
  });
  const apiKeys = createApiKeys({
    auth,
    keys: createApiKeyRepository(db),
    cache: accessCache.lookup<ApiKeyRow>(),
    orgs: gateOrgs,
    audit,
    outbox,
    transaction,
    authTransactions,
  });
  // Leased from the shared store in chunks: the limit holds across processes without a store trip
  // per request (kernel `createLeasedRateLimiter`; README, "Hot path").
  const requestLimiter = createLeasedRateLimiter({
    keyPrefix: 'backlex.requests',
    points: overrides.requestsPerMinute ?? 600,
    durationSeconds: 60,
    store: context.rateLimitStore(),
  });
  return {
    context,
    database,
    auth,
    trustedOrigins: new Set(trustedOrigins),
    transaction,
    requestLimiter,
    accessCache,
    authTransactions,
    pluginAudit,
    sessionMemo: createSessionMemo(),
    repositories: { orgs: orgRepository, members: memberRepository, audit: auditRepository, outbox },
    members: createMembers({
      members: memberRepository,
      writes: createMembershipWrites(),
      orgs: orgRepository,
      audit,
      outbox,
      mailer: context.mailer,
      inviteLimiter: createRateLimiter({
        keyPrefix: 'backlex.invitations',
        points: overrides.invitationsPerHour ?? 30,
        durationSeconds: 3600,
        store: context.rateLimitStore(),
      }),
      publicUrl: context.publicUrl,
      transaction,
      logWarning: (message, fields) => context.logger.warn(fields, message),
    }),
    audit,
    outbox,
    events,
    billing: billing.billing,
    sandbox: billing.sandbox,
    /** Projects (issue 17): lifecycle, branches, data API, provisioning. */
    projects: projectsArea,
    /** Custom domains, the Host-routed data API, org exports (issue 17, h17-domains). */
    domains: backlexDomains(context),
    /** Usage, alarms, enforcement (issue 17, h17-usage). */
    usage: backlexUsage(context),
    apiKeys,
    ssoSettings,
    sso,
    scim,
    orgAccess: createOrgAccess({ orgs: gateOrgs, keyAccess: overrides.keyAccess ?? apiKeys.keyAccess }),
    authenticateKey: overrides.authenticateKey ?? apiKeys.authenticate,
    account: createAccount({ accounts: createAccountRepository(db), transaction }),
    orgs: createOrgs({
      orgs: orgRepository,
      outbox,
      audit,
      syncManagedWebhook,
      onOrgDeleted: [
        apiKeys.revokeAllOfOrg,
        (trx, organizationId) => sso.remove({ org: { id: organizationId } }, trx),
        billing.billing.orgDeleted,
        // Issue 17: a deleted org's projects are soft-deleted with it (files purged after 7 days).
        async (trx, organizationId) => {
          const deleted = await projectsArea.repositories.projects.deleteAllOfOrg(
            trx,
            organizationId,
            new Date(),
          );
          // The orgs' transaction: their data API reads PostgreSQL until its commit's NOTIFY.
          projectsArea.access.invalidate(deleted);
        },
        ...(overrides.onOrgDeleted ?? []),
      ],
      allowPrivateWebhooks: context.config.allowPrivateWebhooks,
      transaction,
      orgsPerDay: overrides.orgsPerDay ?? 10,
    }),
  };
}

export type BacklexDeps = ReturnType<typeof createBacklex>;
