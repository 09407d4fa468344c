import type { Transaction } from 'kysely';
import type { AuditLog } from '../audit/audit.js';
import { isIP } from 'node:net';
import { isBlockedAddress, urlHost } from '@trustplane/kernel';
import type { EventOutbox } from '../events/publish-event.js';
import { auditActor, type OrgAccess, type UserPrincipal } from '../auth/principal.js';
import { newId } from '../db/ids.js';
import { type OrgRepository, SlugTakenError } from '../db/org-repository.js';
import type { BacklexDatabase } from '../db/tables.js';
import { errors } from '../errors.js';
import { type OrgView, orgView } from './org-view.js';
import { DEFAULT_REGION, type Region, type Residency, regionAllowed, RESIDENCY_REGIONS } from './regions.js';
import { allowlistEntryProblem, ipAllowed } from './ip-allowlist.js';
import { nextFreeSlug, slugBase } from './slug.js';

export interface CreateOrgInput {
  name: string;
  residency?: Residency | undefined;
  defaultRegion?: Region | undefined;
  purpose?: string | undefined;
  teamSize?: string | undefined;
}

export interface UpdateOrgInput {
  name?: string | undefined;
  defaultRegion?: Region | undefined;
  ipAllowlist?: string[] | undefined;
  webhookUrl?: string | null | undefined;
}

/**
 * Seam for the events area (h16-events): creates, re-points or (url null) removes the org's
 * managed all-events webhook in the caller's transaction; returns the new secret when one was
 * minted (sent once as `webhookSecret`).
 */
export type SyncManagedWebhook = (
  trx: Transaction<BacklexDatabase>,
  change: { organizationId: string; url: string | null },
) => Promise<{ secret?: string | undefined }>;

/** Seam for other areas (API keys, SSO, SCIM: h16-sso): revoke what belongs to a deleted org, in its transaction. */
export type OrgDeletionHook = (trx: Transaction<BacklexDatabase>, organizationId: string) => Promise<void>;

export interface OrgsDeps {
  orgs: OrgRepository;
  outbox: EventOutbox;
  audit: AuditLog;
  syncManagedWebhook?: SyncManagedWebhook | undefined;
  onOrgDeleted: readonly OrgDeletionHook[];
  /** TRUSTPLANE_ALLOW_PRIVATE_WEBHOOKS: a loopback/private webhook target is accepted (tests, local use). */
  allowPrivateWebhooks: boolean;
  transaction<T>(work: (trx: Transaction<BacklexDatabase>) => Promise<T>): Promise<T>;
  /** Orgs one user may create per 24 hours (issue 16: 10). */
  orgsPerDay: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** A 422 `VALIDATION` naming one body field, as the schema failures are named. */
export function fieldInvalid(path: string, message: string) {
  return errors.VALIDATION({ details: { details: [{ path, location: 'body', message }] } });
}

/** A webhook URL's problem at creation: scheme, or a literal private address (names are checked at delivery). */
export function webhookUrlProblem(value: string, allowPrivate: boolean): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'not a URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'only http and https URLs are accepted';
  if (url.username || url.password) return 'credentials in the URL are not accepted';
  const host = urlHost(url);
  if (!allowPrivate && (host === 'localhost' || (isIP(host) !== 0 && isBlockedAddress(host)))) {
    return 'the URL points at a private or loopback address';
  }
  return undefined;
}

export function createOrgs(deps: OrgsDeps) {
  return {
    async list(user: UserPrincipal): Promise<(OrgView & { role: string })[]> {
      const rows = await deps.orgs.membershipsOf(user.userId);
      return rows.map((row) => ({ ...orgView(row), role: row.role }));
    },

    /**
     * Creates an org with the caller as its owner. The slug is derived from the name and never
     * changes; a taken slug gets a numeric suffix (a race for the same one retries).
     */
    async create(user: UserPrincipal, input: CreateOrgInput, ip: string): Promise<OrgView> {
      const residency = input.residency ?? 'global';
      const defaultRegion = input.defaultRegion ?? DEFAULT_REGION[residency];
      if (!regionAllowed(residency, defaultRegion)) {
        throw fieldInvalid(
          'defaultRegion',
          `residency ${residency} allows ${RESIDENCY_REGIONS[residency].join(', ')}, not ${defaultRegion}`,
        );
      }
      const base = slugBase(input.name);
      for (let attempt = 0; ; attempt += 1) {
        try {
          return await deps.transaction(async (trx) => {
            await deps.orgs.lockCreator(trx, user.userId);
            const now = Date.now();
            const recent = await deps.orgs.createdSince(trx, user.userId, new Date(now - DAY_MS));
            if (recent.length >= deps.orgsPerDay) {
              const oldest = recent[recent.length - deps.orgsPerDay] as Date;
              const retryAfter = Math.max(1, Math.ceil((oldest.getTime() + DAY_MS - now) / 1000));
              throw errors.RATE_LIMITED(retryAfter, `At most ${deps.orgsPerDay} organizations a day`);
            }
            const slug = nextFreeSlug(base, await deps.orgs.slugsLike(trx, base));
            const org = await deps.orgs.insert(trx, {
              id: newId('org'),
              name: input.name,
              slug,
              planId: 'free',
              residency,
              defaultRegion,
              purpose: input.purpose ?? null,
              teamSize: input.teamSize ?? null,
              createdBy: user.userId,
            });
            await deps.orgs.insertMember(trx, {
              id: newId('mem'),
              organizationId: org.id,
              userId: user.userId,
              role: 'owner',
            });
            await deps.audit.record(trx, {
              organizationId: org.id,
              actor: auditActor(user),
              action: 'org.created',
              target: { type: 'org', id: org.id },
              ip,
              data: { name: org.name, slug: org.slug, residency, defaultRegion },
            });
            return orgView(org);
          });
        } catch (error) {
          if (error instanceof SlugTakenError && attempt < 5) continue;
          throw error;
        }
      }
    },

    /**
     * Changes settings (admin). The slug and residency never change. An `ipAllowlist` that would
     * shut out the caller's own address is refused (409): nobody locks themselves out by mistake.
     */
    async update(
      access: OrgAccess,
      input: UpdateOrgInput,
    ): Promise<{ org: OrgView; webhookSecret?: string }> {
      const problems: { path: string; location: string; message: string }[] = [];
      (input.ipAllowlist ?? []).forEach((entry, index) => {
        const problem = allowlistEntryProblem(entry);
        if (problem) problems.push({ path: `ipAllowlist.${index}`, location: 'body', message: problem });
      });
      if (input.webhookUrl) {
        const problem = webhookUrlProblem(input.webhookUrl, deps.allowPrivateWebhooks);
        if (problem) problems.push({ path: 'webhookUrl', location: 'body', message: problem });
      }
      const residency = access.org.residency as Residency;
      if (input.defaultRegion && !regionAllowed(residency, input.defaultRegion)) {
        problems.push({
          path: 'defaultRegion',
          location: 'body',
          message: `residency ${residency} allows ${RESIDENCY_REGIONS[residency].join(', ')}, not ${input.defaultRegion}`,
        });
      }
      if (problems.length > 0) throw errors.VALIDATION({ details: { details: problems } });
      if (input.ipAllowlist && !ipAllowed(input.ipAllowlist, access.ip)) throw errors.IP_NOT_ALLOWLISTED();
      return deps.transaction(async (trx) => {
        const current = await deps.orgs.lockActive(trx, access.org.id);
        if (!current) throw errors.NOT_FOUND();
        const changes: Parameters<OrgRepository['update']>[2] = {};
        if (input.name !== undefined) changes.name = input.name;
        if (input.defaultRegion !== undefined) changes.defaultRegion = input.defaultRegion;
        if (input.ipAllowlist !== undefined) changes.ipAllowlist = [...new Set(input.ipAllowlist)];
        const webhookChanged = input.webhookUrl !== undefined && input.webhookUrl !== current.webhookUrl;
        if (webhookChanged) changes.webhookUrl = input.webhookUrl ?? null;
        const org =
          Object.keys(changes).length > 0 ? await deps.orgs.update(trx, current.id, changes) : current;
        let webhookSecret: string | undefined;
        if (webhookChanged && deps.syncManagedWebhook) {
          webhookSecret = (
            await deps.syncManagedWebhook(trx, { organizationId: org.id, url: input.webhookUrl ?? null })
          ).secret;
        }
        if (Object.keys(changes).length > 0) {
          await deps.audit.record(trx, {
            organizationId: org.id,
            actor: auditActor(access.principal),
            action: 'org.updated',
            target: { type: 'org', id: org.id },
            ip: access.ip,
            data: { fields: Object.keys(changes).sort() },
          });
        }
        return { org: orgView(org), ...(webhookSecret ? { webhookSecret } : {}) };
      });
    },

    /** Deletes the org (owner): 404 from then on; what hangs off it is revoked in the same transaction. */
    async remove(access: OrgAccess): Promise<void> {
      await deps.transaction(async (trx) => {
        const current = await deps.orgs.lockActive(trx, access.org.id);
        if (!current) throw errors.NOT_FOUND();
        await deps.orgs.markDeleted(trx, current.id);
        if (current.webhookUrl && deps.syncManagedWebhook) {
          await deps.syncManagedWebhook(trx, { organizationId: current.id, url: null });
        }
        for (const hook of deps.onOrgDeleted) await hook(trx, current.id);
        await deps.audit.record(trx, {
          organizationId: current.id,
          actor: auditActor(access.principal),
          action: 'org.deleted',
          target: { type: 'org', id: current.id },
          ip: access.ip,
        });
        await deps.outbox.record(trx, {
          organizationId: current.id,
          type: 'org.deleted',
          payload: {
            org: { id: current.id, slug: current.slug, name: current.name },
            deletedAt: new Date().toISOString(),
          },
        });
      });
    },
  };
}

export type Orgs = ReturnType<typeof createOrgs>;
