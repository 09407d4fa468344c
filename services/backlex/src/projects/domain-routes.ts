import { PgListener } from '@trustplane/kernel';
import type { Transaction } from 'kysely';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { BacklexDatabase } from '../db/tables.js';
import { notifyChannel } from '../db/transaction-steps.js';

/** NOTIFY channel telling every process which hostname's route changed (payload: the hostname). */
export const DOMAIN_ROUTES_CHANNEL = 'backlex_domain_routes';

export interface DomainRouterOptions {
  /** The live project a verified hostname routes to. */
  lookup(hostname: string): Promise<string | undefined>;
  /** How long an answer is kept without a change notice (a safety net: notices evict at once). */
  ttlMs?: number;
  /** How long "no such domain" is kept: unknown hosts must not cost a query each. */
  negativeTtlMs?: number;
  maxEntries?: number;
  now?: () => number;
}

/**
 * Which project a request's `Host` reaches (`POST /query` on a verified custom domain): a
 * process-local cache of the verified-hostname lookup, negative answers included, evicted for a
 * hostname when a verify or a removal commits — locally at once, and in every other process
 * through `NOTIFY backlex_domain_routes` (sent in the changing transaction, so it arrives only if
 * it committed). A lost LISTEN connection empties the cache when it is back; the TTL bounds what
 * a process could miss meanwhile.
 */
export function createDomainRouter(options: DomainRouterOptions) {
  const ttlMs = options.ttlMs ?? 5 * 60_000;
  const negativeTtlMs = options.negativeTtlMs ?? 30_000;
  const maxEntries = options.maxEntries ?? 10_000;
  const now = options.now ?? Date.now;
  const entries = new Map<string, { projectId: string | undefined; expiresAt: number }>();
  /** Bumped by every eviction: a lookup that started before one must not store its answer. */
  let generation = 0;

  return {
    async resolve(hostname: string): Promise<string | undefined> {
      const cached = entries.get(hostname);
      if (cached && cached.expiresAt > now()) return cached.projectId;
      const started = generation;
      const projectId = await options.lookup(hostname);
      if (started === generation) {
        entries.delete(hostname);
        if (entries.size >= maxEntries) {
          const oldest = entries.keys().next();
          if (!oldest.done) entries.delete(oldest.value);
        }
        entries.set(hostname, {
          projectId,
          expiresAt: now() + (projectId === undefined ? negativeTtlMs : ttlMs),
        });
      }
      return projectId;
    },
    /** Forgets one hostname's answer (this process). */
    evict(hostname: string): void {
      generation += 1;
      entries.delete(hostname);
    },
    clear(): void {
      generation += 1;
      entries.clear();
    },
    /** Tells every process (this one included, on commit) that `hostname`'s route changed. */
    async announce(trx: Transaction<BacklexDatabase>, hostname: string): Promise<void> {
      await notifyChannel(trx, DOMAIN_ROUTES_CHANNEL, hostname);
    },
    get size(): number {
      return entries.size;
    },
  };
}

export type DomainRouter = ReturnType<typeof createDomainRouter>;

/** Listens for route changes of other processes; stop it when the service closes. */
export function listenForDomainRoutes(router: DomainRouter, pool: pg.Pool, logger: Logger): PgListener {
  const listener = new PgListener({
    pool,
    channels: [DOMAIN_ROUTES_CHANNEL],
    logger,
    onNotification: (_channel, hostname) => router.evict(hostname),
    onConnected: () => router.clear(),
  });
  void listener.start();
  return listener;
}
