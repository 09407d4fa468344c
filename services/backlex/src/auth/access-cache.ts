import { PgListener } from '@trustplane/kernel';
import type pg from 'pg';
import type { Logger } from 'pino';

/** NOTIFY channel of migration 0041: `org:<organization id>` or `key:<apikey id>` on every change that matters. */
export const ACCESS_CHANNEL = 'backlex_access';
/** An entry is reloaded after this long even if no NOTIFY said so (a floor, not the mechanism). */
const MAX_AGE_MS = 60_000;
/** Entries per map; the oldest goes first beyond it. */
const MAX_ENTRIES = 10_000;

interface Entry<T> {
  value: T;
  /** The org the answer belongs to (`org:` invalidations); for keys, also the key id (`key:`). */
  subjects: string[];
  expiresAt: number;
}

/** One map of answers, keyed by what the caller asked (slug + user, slug, key hash). */
export interface CachedLookup<T> {
  /**
   * The cached answer, or `load()`'s: stored (when not undefined) unless an invalidation arrived
   * while it was loading, so a reload racing a change never re-installs the old answer.
   */
  get(
    key: string,
    load: () => Promise<T | undefined>,
    subjects: (value: T) => string[],
  ): Promise<T | undefined>;
  /** Replaces a cached value in place (e.g. a key's `lastRequest` after this process touched it). */
  update(key: string, value: T): void;
  /** Drops one answer this process itself made stale (an expired key it just deleted). */
  forget(key: string): void;
}

export interface AccessCacheOptions {
  pool: pg.Pool;
  logger: Logger;
}

/**
 * The org gate's and the key verifier's answers held in process memory, so a request on an org route
 * costs no membership, org or key query. PostgreSQL stays the source of truth: migration 0041's
 * triggers NOTIFY `backlex_access` in the transaction of every change to `member`, `organization` and
 * `apikey` (whoever makes it), and each process drops what it holds for that org or key when the
 * NOTIFY arrives — after the change committed. On top of that, a process drops an org's entries
 * itself as soon as one of its own requests changed that org (`invalidateOrg`, before the answer is
 * sent), so on the instance that made a change, the very next request sees it.
 *
 * When the LISTEN connection is down (or not up yet) nothing is cached: every lookup goes to the
 * database, and reconnecting empties the cache. Entries also expire after 60 s.
 */
export function createAccessCache(options: AccessCacheOptions) {
  const maps: Map<string, Entry<unknown>>[] = [];
  /** Bumped on every invalidation: a load that started before one must not store its answer. */
  let generation = 0;
  let listener: PgListener | undefined;

  function dropSubject(subject: string) {
    generation += 1;
    for (const map of maps) {
      for (const [key, entry] of map) if (entry.subjects.includes(subject)) map.delete(key);
    }
  }

  function clear() {
    generation += 1;
    for (const map of maps) map.clear();
  }

  function lookup<T>(): CachedLookup<T> {
    const map = new Map<string, Entry<T>>();
    maps.push(map as Map<string, Entry<unknown>>);
    return {
      async get(key, load, subjects) {
        const now = Date.now();
        const hit = map.get(key);
        if (hit && hit.expiresAt > now && listener?.listening) return hit.value;
        if (hit) map.delete(key);
        const started = generation;
        const value = await load();
        // Only answers read while LISTENing, with no invalidation since the read began, are kept.
        if (value !== undefined && started === generation && listener?.listening) {
          if (map.size >= MAX_ENTRIES) map.delete(map.keys().next().value as string);
          map.set(key, { value, subjects: subjects(value), expiresAt: Date.now() + MAX_AGE_MS });
        }
        return value;
      },
      update(key, value) {
        const entry = map.get(key);
        if (entry) entry.value = value;
      },
      forget(key) {
        generation += 1;
        map.delete(key);
      },
    };
  }

  return {
    lookup,
    /** Drops every answer about this org (its memberships, its row, its keys). */
    invalidateOrg(organizationId: string) {
      dropSubject(`org:${organizationId}`);
    },
    invalidateKey(keyId: string) {
      dropSubject(`key:${keyId}`);
    },
    clear,
    /** LISTENs on `backlex_access`; until it does (and whenever it does not), nothing is cached. */
    async start() {
      if (listener) return;
      listener = new PgListener({
        pool: options.pool,
        channels: [ACCESS_CHANNEL],
        logger: options.logger,
        onNotification: (_channel, payload) => dropSubject(payload),
        // Whatever changed while nobody listened is unknown: start empty.
        onConnected: () => clear(),
      });
      await listener.start();
    },
    async stop() {
      const current = listener;
      listener = undefined;
      clear();
      await current?.stop();
    },
    get listening() {
      return listener?.listening ?? false;
    },
  };
}

export type AccessCache = ReturnType<typeof createAccessCache>;
