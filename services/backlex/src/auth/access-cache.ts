import { NotifiedCache } from '@trustplane/kernel';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { ApiKeyRow } from '../db/api-key-repository.js';
import type { OrgRepository } from '../db/org-repository.js';

/** NOTIFY channel of migration 0041: `org:<organization id>` or `key:<apikey id>` on every change that matters. */
export const ACCESS_CHANNEL = 'backlex_access';

type Membership = Awaited<ReturnType<OrgRepository['membershipBySlug']>>;

export interface AccessCacheOptions {
  pool: pg.Pool;
  logger: Logger;
  /** Where answers come from when not held. */
  orgs: Pick<OrgRepository, 'membershipBySlug' | 'activeBySlug'>;
  keys: { byHash(hash: string): Promise<ApiKeyRow | undefined> };
}

/** The API key cache as the key verifier uses it: by digest, a local value update, a drop. */
export type CachedKeys = Pick<NotifiedCache<ApiKeyRow>, 'get' | 'update' | 'invalidate'>;

/** A membership's key: the user id (never a NUL: the server's own id) after the last NUL. */
const membershipKey = (slug: string, userId: string) => `${slug}\u0000${userId}`;

/**
 * The org gate's and the key verifier's answers held in process memory, so a request on an org route
 * costs no membership, org or key query: three kernel `NotifiedCache`s on `backlex_access` (one
 * LISTEN connection for the three), each entry tagged with its org (`org:<id>`) and, for keys, the
 * key (`key:<id>`). PostgreSQL stays the source of truth: migration 0041's triggers NOTIFY those
 * tags in the transaction of every change to `member`, `organization` and `apikey` (whoever makes
 * it), and each process drops every entry carrying the tag when the NOTIFY arrives — after the
 * change committed. On top of that, a process drops an org's entries itself as soon as one of its
 * own requests changed that org (`invalidateOrg`, before the answer is sent), so on the instance
 * that made a change, the very next request sees it.
 *
 * When the LISTEN connection is down (or not up yet) nothing is cached: every lookup goes to the
 * database, and reconnecting empties the caches. A load racing an invalidation of its org or key is
 * not kept; entries also expire after 60 s; "not a member" and unknown slugs or keys are never held.
 */
export function createAccessCache(options: AccessCacheOptions) {
  const common = { pool: options.pool, channel: ACCESS_CHANNEL, logger: options.logger };
  const memberships = new NotifiedCache<NonNullable<Membership>>({
    ...common,
    load(key) {
      const split = key.lastIndexOf('\u0000');
      return options.orgs.membershipBySlug(key.slice(0, split), key.slice(split + 1));
    },
    tags: (found) => [`org:${found.org.id}`],
  });
  const orgs = new NotifiedCache<NonNullable<Awaited<ReturnType<OrgRepository['activeBySlug']>>>>({
    ...common,
    load: (slug) => options.orgs.activeBySlug(slug),
    tags: (org) => [`org:${org.id}`],
  });
  const keys = new NotifiedCache<ApiKeyRow>({
    ...common,
    load: (hash) => options.keys.byHash(hash),
    tags: (key) => [`org:${key.referenceId}`, `key:${key.id}`],
  });
  const caches = [memberships, orgs, keys];

  return {
    /** The org gate's reads, answered from memory when held. */
    gate: {
      membershipBySlug: (slug: string, userId: string) => memberships.get(membershipKey(slug, userId)),
      activeBySlug: (slug: string) => orgs.get(slug),
    },
    /** Verified keys by digest. */
    keys: keys as CachedKeys,
    /** Drops every answer about this org (its memberships, its row, its keys), in this process. */
    invalidateOrg(organizationId: string) {
      for (const cache of caches) cache.invalidate(`org:${organizationId}`);
    },
    clear() {
      for (const cache of caches) cache.clear();
    },
    /** LISTENs on `backlex_access`; until it does (and whenever it does not), nothing is cached. */
    async start() {
      await Promise.all(caches.map((cache) => cache.start()));
    },
    async stop() {
      await Promise.all(caches.map((cache) => cache.stop()));
    },
    get listening() {
      return caches.every((cache) => cache.listening);
    },
  };
}

export type AccessCache = ReturnType<typeof createAccessCache>;
