import type { Transaction } from 'kysely';
import type { AuditLog } from '../audit/audit.js';
import { auditActor, type UserPrincipal } from '../auth/principal.js';
import { newId } from '../db/ids.js';
import { type OrgRepository, SlugTakenError } from '../db/org-repository.js';
import type { BacklexDatabase } from '../db/tables.js';
import { errors } from '../errors.js';
import { type OrgView, orgView } from './org-view.js';
import { DEFAULT_REGION, type Region, type Residency, regionAllowed, RESIDENCY_REGIONS } from './regions.js';
import { nextFreeSlug, slugBase } from './slug.js';

export interface CreateOrgInput {
  name: string;
  residency?: Residency | undefined;
  defaultRegion?: Region | undefined;
  purpose?: string | undefined;
  teamSize?: string | undefined;
}

export interface OrgsDeps {
  orgs: OrgRepository;
  audit: AuditLog;
  transaction<T>(work: (trx: Transaction<BacklexDatabase>) => Promise<T>): Promise<T>;
  /** Orgs one user may create per 24 hours (issue 16: 10). */
  orgsPerDay: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** A 422 `VALIDATION` naming one body field, as the schema failures are named. */
export function fieldInvalid(path: string, message: string) {
  return errors.VALIDATION({ details: { details: [{ path, location: 'body', message }] } });
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
  };
}

export type Orgs = ReturnType<typeof createOrgs>;
