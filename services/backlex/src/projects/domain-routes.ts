import { NotifiedCache } from '@trustplane/kernel';
import type { Transaction } from 'kysely';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { BacklexDatabase } from '../db/tables.js';
import { notifyChannel } from '../db/transaction-steps.js';

/** NOTIFY channel telling every process which hostname's route changed (payload: the hostname). */
export const DOMAIN_ROUTES_CHANNEL = 'backlex_domain_routes';

export interface DomainRouterOptions {
  /** A pool on backlex's database (the LISTEN connection is its own). */
  pool: pg.Pool;
  logger: Logger;
  /** The live project a verified hostname routes to. */
  lookup(hostname: string): Promise<string | undefined>;
  /** How long an answer is kept without a change notice (a safety net: notices evict at once). */
  ttlMs?: number;
  /** How long "no such domain" is kept: unknown hosts must not cost a query each. */
  negativeTtlMs?: number;
  maxEntries?: number;
}

/**
 * Which project a request's `Host` reaches (`POST /query` on a verified custom domain): a
 * process-local cache of the verified-hostname lookup (the kernel `NotifiedCache`), negative
 * answers included, evicted for a hostname when a verify or a removal commits — locally at once,
 * and in every other process through `NOTIFY backlex_domain_routes` (sent in the changing
 * transaction, so it arrives only if it committed). While the LISTEN connection is down nothing is
 * cached (each request looks up), and it starts empty when it is back; a lookup racing an eviction
 * of its hostname is not kept.
 */
export function createDomainRouter(options: DomainRouterOptions) {
  const cache = new NotifiedCache<string>({
    pool: options.pool,
    channel: DOMAIN_ROUTES_CHANNEL,
    logger: options.logger,
    load: (hostname) => options.lookup(hostname),
    maxAgeMs: options.ttlMs ?? 5 * 60_000,
    missingMaxAgeMs: options.negativeTtlMs ?? 30_000,
    ...(options.maxEntries === undefined ? {} : { maxEntries: options.maxEntries }),
  });

  return {
    resolve: (hostname: string): Promise<string | undefined> => cache.get(hostname),
    /** Forgets one hostname's answer (this process). */
    evict(hostname: string): void {
      cache.invalidate(hostname);
    },
    /** Tells every process (this one included, on commit) that `hostname`'s route changed. */
    async announce(trx: Transaction<BacklexDatabase>, hostname: string): Promise<void> {
      await notifyChannel(trx, DOMAIN_ROUTES_CHANNEL, hostname);
    },
    /** LISTENs (else on the first `resolve`, which looks up every time until it listens). */
    start: () => cache.start(),
    stop: () => cache.stop(),
    get listening(): boolean {
      return cache.listening;
    },
  };
}

export type DomainRouter = ReturnType<typeof createDomainRouter>;
