import { randomBytes } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { AuditLog } from '../audit/audit.js';
import { auditActor, type OrgAccess } from '../auth/principal.js';
import { newId } from '../db/ids.js';
import {
  type DomainRow,
  DomainExistsError,
  type ProjectDomainRepository,
} from '../db/project-domain-repository.js';
import type { ProjectRepository, ProjectRow } from '../db/project-repository.js';
import type { BacklexDatabase } from '../db/tables.js';
import { errors } from '../errors.js';
import type { EventPublisher } from '../events/publish-event.js';
import type { DomainRouter } from './domain-routes.js';
import { normalizeHostname } from './hostname.js';

/** The TXT record a domain's owner publishes: `_backlex-challenge.<hostname>` = the token. */
export const CHALLENGE_LABEL = '_backlex-challenge';

/** What verification needs from DNS: `dns.promises.Resolver#resolveTxt`. */
export interface TxtResolver {
  resolveTxt(name: string): Promise<string[][]>;
}

export interface DomainsDeps {
  projects: ProjectRepository;
  domains: ProjectDomainRepository;
  router: DomainRouter;
  audit: AuditLog;
  events: EventPublisher;
  transaction<T>(work: (trx: Transaction<BacklexDatabase>) => Promise<T>): Promise<T>;
  /** A resolver per verification (`BACKLEX_DNS_SERVERS` applied). */
  resolver(): TxtResolver;
  /** The platform's own host (`TRUSTPLANE_PUBLIC_HOST`): the CNAME target, never a custom domain. */
  platformHost: string;
  now?: () => Date;
}

function invalidHostname(reason: string) {
  return errors.VALIDATION({
    details: { details: [{ path: 'hostname', location: 'body', message: reason }] },
  });
}

/** Why a TXT lookup did not verify, in words a domain owner can act on. */
function lookupFailure(name: string, error: unknown): string {
  const code = (error as { code?: unknown })?.code;
  switch (code) {
    case 'ENOTFOUND':
    case 'ENODATA':
      return `No TXT record found at ${name}`;
    case 'ETIMEOUT':
      return `The DNS lookup of ${name} timed out`;
    case 'ESERVFAIL':
      return `The DNS servers failed to answer for ${name} (SERVFAIL)`;
    case 'EREFUSED':
      return `The DNS servers refused the lookup of ${name}`;
    default:
      return `The DNS lookup of ${name} failed (${typeof code === 'string' ? code : 'error'})`;
  }
}

/**
 * Custom domains (issue 17): a project's data API at `POST https://<hostname>/query` once the
 * hostname's owner proved control with a TXT record. A hostname is unique within its project and
 * verified by one live project at most (checked under a per-hostname lock when added and when
 * verified). Verification asks DNS outside any database transaction, then records the outcome.
 */
export function createDomains(deps: DomainsDeps) {
  const now = deps.now ?? (() => new Date());

  async function liveProject(
    access: OrgAccess,
    slug: string,
    trx?: Transaction<BacklexDatabase>,
  ): Promise<ProjectRow> {
    const found = trx
      ? await deps.projects.lockLive(trx, access.org.id, slug)
      : await deps.projects.findLive(access.org.id, slug);
    if (!found) throw errors.NOT_FOUND();
    return found;
  }

  function actorIdOf(access: OrgAccess): string {
    return access.principal.kind === 'user' ? access.principal.userId : access.principal.keyId;
  }

  async function recordChange(
    trx: Transaction<BacklexDatabase>,
    access: OrgAccess,
    project: ProjectRow,
    domain: DomainRow,
    action: 'domain.added' | 'domain.verified' | 'domain.removed',
  ) {
    await deps.audit.record(trx, {
      organizationId: access.org.id,
      actor: auditActor(access.principal),
      action,
      target: { type: 'domain', id: domain.id },
      ip: access.ip,
      data: { project: project.slug, hostname: domain.hostname },
    });
    await deps.events.publish(trx, access.org.id, action, {
      projectId: project.id,
      projectSlug: project.slug,
      actorId: actorIdOf(access),
      domainId: domain.id,
      hostname: domain.hostname,
    });
  }

  return {
    async list(access: OrgAccess, slug: string): Promise<DomainRow[]> {
      const project = await liveProject(access, slug);
      return deps.domains.listOfProject(project.id);
    },

    async add(access: OrgAccess, slug: string, input: { hostname: string }): Promise<DomainRow> {
      const checked = normalizeHostname(input.hostname, deps.platformHost);
      if (!checked.ok) throw invalidHostname(checked.reason);
      const { hostname } = checked;
      return deps.transaction(async (trx) => {
        const project = await liveProject(access, slug, trx);
        await deps.domains.lockHostname(trx, hostname);
        if (await deps.domains.verifiedElsewhere(trx, hostname, project.id)) throw errors.DOMAIN_TAKEN();
        let domain: DomainRow;
        try {
          domain = await deps.domains.insert(trx, {
            id: newId('dom'),
            org_id: access.org.id,
            project_id: project.id,
            hostname,
            status: 'pending',
            challenge_token: `backlex-verify=${randomBytes(24).toString('base64url')}`,
            created_by: actorIdOf(access),
          });
        } catch (error) {
          if (error instanceof DomainExistsError) throw errors.DOMAIN_EXISTS();
          throw error;
        }
        await recordChange(trx, access, project, domain, 'domain.added');
        return domain;
      });
    },

    /**
     * Looks the TXT record up (outside any transaction) and records what it found: `verified`
     * (+ `verifiedAt`) when one of the strings is the token, else `pending` with `lastError`. A
     * verified domain stays verified (200, no lookup). Another live project verified the
     * hostname first → 409 DOMAIN_TAKEN.
     */
    async verify(access: OrgAccess, slug: string, id: string): Promise<DomainRow> {
      const project = await liveProject(access, slug);
      const current = (await deps.domains.listOfProject(project.id)).find((row) => row.id === id);
      if (!current) throw errors.NOT_FOUND();
      if (current.status === 'verified') return current;
      const name = `${CHALLENGE_LABEL}.${current.hostname}`;
      let found: boolean;
      let failure: string | undefined;
      try {
        const records = await deps.resolver().resolveTxt(name);
        found = records.some((chunks) => chunks.join('') === current.challenge_token);
        if (!found) {
          failure = `TXT records at ${name} do not contain this domain's token (${records.length} found)`;
        }
      } catch (error) {
        found = false;
        failure = lookupFailure(name, error);
      }
      const at = now();
      const outcome = await deps.transaction(async (trx) => {
        const locked = await liveProject(access, slug, trx);
        const domain = await deps.domains.lockById(trx, locked.id, id);
        if (!domain) throw errors.NOT_FOUND();
        if (domain.status === 'verified') return { domain, changed: false };
        if (!found) {
          const recorded = await deps.domains.recordCheck(trx, domain.id, {
            verified: false,
            at,
            error: failure ?? 'not verified',
          });
          return { domain: recorded, changed: false };
        }
        await deps.domains.lockHostname(trx, domain.hostname);
        if (await deps.domains.verifiedElsewhere(trx, domain.hostname, locked.id)) {
          throw errors.DOMAIN_TAKEN();
        }
        const verified = await deps.domains.recordCheck(trx, domain.id, { verified: true, at });
        await recordChange(trx, access, locked, verified, 'domain.verified');
        await deps.router.announce(trx, verified.hostname);
        return { domain: verified, changed: true };
      });
      if (outcome.changed) deps.router.evict(outcome.domain.hostname);
      return outcome.domain;
    },

    async remove(access: OrgAccess, slug: string, id: string): Promise<void> {
      const removed = await deps.transaction(async (trx) => {
        const project = await liveProject(access, slug, trx);
        const domain = await deps.domains.lockById(trx, project.id, id);
        if (!domain) throw errors.NOT_FOUND();
        await deps.domains.remove(trx, domain.id);
        await recordChange(trx, access, project, domain, 'domain.removed');
        await deps.router.announce(trx, domain.hostname);
        return domain;
      });
      deps.router.evict(removed.hostname);
    },
  };
}

export type Domains = ReturnType<typeof createDomains>;
