import type { Redis } from 'ioredis';
import type pg from 'pg';
import type { Logger } from 'pino';
import { PgListener } from '../db/pg-listener.js';
import { runSql, type SqlExecutor, withinTransaction } from '../db/sql-executor.js';

/** NOTIFY channel every process LISTENs on; a payload is a JSON array of `[kind, id, untilMs]`. */
export const REVOCATION_CHANNEL = 'platform_revocations';
/** Redis channel carrying the same payloads when `REDIS_URL` is set. */
export const REDIS_REVOCATION_CHANNEL = 'trustplane:revocations';

/** `token`: one token, by its `jti`. `session`: every token naming that `sid`. */
export type RevocationKind = 'token' | 'session';

export interface Revocation {
  kind: RevocationKind;
  id: string;
  /** The latest expiry of a token this revocation can match; after it the entry is forgotten. */
  until: Date;
}

/** What a verifier asks: is this token, or its session, revoked? */
export interface RevocationCheck {
  isRevoked(ids: { jti?: string | null; sid?: string | null }): boolean;
}

export interface RevocationListOptions {
  /** A pool on the shared database (the `platform` migrations ran there). */
  pool: pg.Pool;
  logger: Logger;
  /** When set, revocations are also published and received on a Redis channel. */
  redis?: Redis | undefined;
  /** Full reload from PostgreSQL, the floor for anything the channels missed. Default 30 s. */
  reloadIntervalMs?: number;
  /** LISTEN for revocations (off behind a transaction pooler, where only Redis and reloads work). Default on. */
  listen?: boolean;
}

const KINDS: readonly RevocationKind[] = ['token', 'session'];
const MAX_ID_LENGTH = 200;
// PostgreSQL refuses NOTIFY payloads of 8000 bytes or more.
const MAX_NOTIFY_PAYLOAD = 7000;
const DEFAULT_RELOAD_INTERVAL_MS = 30_000;

function chunkPayloads(revocations: Revocation[]): string[] {
  const payloads: string[] = [];
  let current: [RevocationKind, string, number][] = [];
  let size = 2;
  for (const { kind, id, until } of revocations) {
    const entry: [RevocationKind, string, number] = [kind, id, until.getTime()];
    const entrySize = JSON.stringify(entry).length + 1;
    if (current.length > 0 && size + entrySize > MAX_NOTIFY_PAYLOAD) {
      payloads.push(JSON.stringify(current));
      current = [];
      size = 2;
    }
    current.push(entry);
    size += entrySize;
  }
  if (current.length > 0) payloads.push(JSON.stringify(current));
  return payloads;
}

function parsePayload(payload: string): Revocation[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return [];
  }
  if (!Array.isArray(parsed)) return [];
  const revocations: Revocation[] = [];
  for (const entry of parsed) {
    if (!Array.isArray(entry) || entry.length !== 3) continue;
    const [kind, id, until] = entry as unknown[];
    if (!KINDS.includes(kind as RevocationKind) || typeof id !== 'string' || typeof until !== 'number')
      continue;
    if (id.length === 0 || id.length > MAX_ID_LENGTH || !Number.isFinite(until)) continue;
    revocations.push({ kind: kind as RevocationKind, id, until: new Date(until) });
  }
  return revocations;
}

/**
 * Revoked token ids and session ids of the platform, held in process memory so that a verifier
 * checks a token without a round trip. PostgreSQL (`platform.revocations`) is the source of
 * truth: an issuer writes its revocations there in the transaction of the action that revokes
 * (`record`), so a revocation exists iff that action commits, and the NOTIFY sent in the same
 * transaction reaches every process LISTENing when it commits. After the commit the issuer calls
 * `announce`, which applies the entries in its own process at once and publishes them on Redis
 * (when configured) for processes that cannot LISTEN. Every process also reloads the live rows
 * periodically and after each LISTEN reconnection, for whatever a channel missed.
 *
 * Nothing is ever un-revoked, so every source only adds entries; an entry is dropped once its
 * `until` has passed (no token it can match is still valid), which keeps the set bounded by the
 * lifetime of the tokens it guards.
 */
export class RevocationList implements RevocationCheck {
  readonly #options: RevocationListOptions;
  readonly #entries: Record<RevocationKind, Map<string, number>> = { token: new Map(), session: new Map() };
  #starting: Promise<void> | undefined;
  #ready = false;
  #stopped = false;
  #listener: PgListener | undefined;
  #subscriber: Redis | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** Which `start` the timer and subscriber belong to; `stop` moves it on. */
  #run = 0;

  constructor(options: RevocationListOptions) {
    this.#options = options;
  }

  /** Whether the initial load is done (before it, `isRevoked` refuses to answer). */
  get ready(): boolean {
    return this.#ready;
  }

  /** Whether revocations arrive by NOTIFY right now (else only by Redis and reloads). */
  get listening(): boolean {
    return this.#listener?.listening ?? false;
  }

  /**
   * LISTENs, subscribes on Redis, loads the live rows, then reloads periodically. Idempotent: every
   * service of a process shares one list and each may call it.
   */
  start(): Promise<void> {
    this.#starting ??= this.#start().catch((error: unknown) => {
      this.#starting = undefined;
      throw error;
    });
    return this.#starting;
  }

  async #start(): Promise<void> {
    this.#stopped = false;
    const run = ++this.#run;
    const current = () => run === this.#run && !this.#stopped;
    // LISTEN before the first load: a revocation committed in between is then seen by one or the other.
    if (this.#options.listen !== false) {
      this.#listener = new PgListener({
        pool: this.#options.pool,
        channels: [REVOCATION_CHANNEL],
        logger: this.#options.logger,
        onNotification: (_channel, payload) => this.#apply(parsePayload(payload)),
        onConnected: () => (this.#ready ? this.reload() : undefined),
      });
      await this.#listener.start();
    }
    await this.#subscribe(current);
    await this.reload();
    if (!current()) return;
    this.#ready = true;
    // The reload timer is unref'd, so it never keeps a process alive on its own, and belongs to this
    // run: `stop` ends the run, so a reload still in flight then (or a `start` that follows it, as a
    // test harness does when it restarts a service) schedules nothing more. One chain per run, so
    // restarts never add up timers.
    const tick = () => {
      if (!current()) return;
      this.reload()
        .catch((error: unknown) =>
          this.#options.logger.warn({ err: error }, 'revocation reload failed; keeping the known set'),
        )
        .finally(() => {
          if (current()) this.#timer = setTimeout(tick, this.#interval()).unref();
        });
    };
    this.#timer = setTimeout(tick, this.#interval()).unref();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#run += 1;
    this.#starting = undefined;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    const subscriber = this.#subscriber;
    this.#subscriber = undefined;
    subscriber?.disconnect();
    await this.#listener?.stop();
    this.#listener = undefined;
  }

  /**
   * True when the token (`jti`) or its session (`sid`) is revoked. Throws before `start` has
   * loaded the list: answering "not revoked" from an empty list would let revoked tokens through.
   */
  isRevoked(ids: { jti?: string | null; sid?: string | null }): boolean {
    if (!this.#ready) throw new Error('the revocation list is not loaded: call start() first');
    const now = Date.now();
    if (ids.jti) {
      const until = this.#entries.token.get(ids.jti);
      if (until !== undefined && until > now) return true;
    }
    if (ids.sid) {
      const until = this.#entries.session.get(ids.sid);
      if (until !== undefined && until > now) return true;
    }
    return false;
  }

  /**
   * Writes revocations through the caller's executor, with their NOTIFY: inside the caller's
   * transaction they commit (and are announced to LISTENing processes) with it, or not at all.
   * Call `announce` with the result once the transaction has committed.
   */
  async record(executor: SqlExecutor, revocations: Revocation[], reason?: string): Promise<Revocation[]> {
    const now = Date.now();
    const live = revocations.filter((entry) => entry.until.getTime() > now);
    for (const entry of live) {
      if (!KINDS.includes(entry.kind)) throw new TypeError(`unknown revocation kind ${entry.kind}`);
      if (entry.id.length === 0 || entry.id.length > MAX_ID_LENGTH)
        throw new TypeError('a revoked id must have 1 to 200 characters');
    }
    if (live.length === 0) return [];
    await withinTransaction(executor, async (transaction) => {
      await runSql(
        transaction,
        `INSERT INTO platform.revocations (kind, id, until, reason)
         SELECT kind, id, until, $4 FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS t(kind, id, until)
         ON CONFLICT (kind, id) DO UPDATE SET until = GREATEST(revocations.until, EXCLUDED.until)`,
        [
          live.map((entry) => entry.kind),
          live.map((entry) => entry.id),
          live.map((entry) => entry.until),
          reason ?? null,
        ],
      );
      for (const payload of chunkPayloads(live)) {
        await runSql(transaction, 'SELECT pg_notify($1, $2)', [REVOCATION_CHANNEL, payload]);
      }
    });
    return live;
  }

  /**
   * After the transaction of `record` committed: applies the entries in this process at once
   * (its LISTEN echo would come a little later) and publishes them on Redis when configured.
   */
  announce(revocations: Revocation[]): void {
    if (revocations.length === 0) return;
    this.#apply(revocations);
    const redis = this.#options.redis;
    if (!redis) return;
    for (const payload of chunkPayloads(revocations)) {
      // Best effort: PostgreSQL stays the source of truth (NOTIFY and the reloads).
      redis.publish(REDIS_REVOCATION_CHANNEL, payload).catch((error: Error) => {
        this.#options.logger.warn({ err: error }, 'revocation not published on Redis');
      });
    }
  }

  /** Adds every live row of `platform.revocations`, forgets expired entries, deletes expired rows. */
  async reload(): Promise<void> {
    const rows = await runSql<{ kind: RevocationKind; id: string; until: Date }>(
      this.#options.pool,
      'SELECT kind, id, until FROM platform.revocations WHERE until > now()',
    );
    this.#apply(rows);
    const now = Date.now();
    for (const entries of Object.values(this.#entries)) {
      for (const [id, until] of entries) if (until <= now) entries.delete(id);
    }
    await runSql(
      this.#options.pool,
      `DELETE FROM platform.revocations WHERE until < now() - interval '1 minute'`,
    );
  }

  #apply(revocations: Revocation[]): void {
    for (const { kind, id, until } of revocations) {
      const entries = this.#entries[kind];
      if (!entries) continue;
      const time = until.getTime();
      if (time > (entries.get(id) ?? 0)) entries.set(id, time);
    }
  }

  #interval(): number {
    return this.#options.reloadIntervalMs ?? DEFAULT_RELOAD_INTERVAL_MS;
  }

  async #subscribe(current: () => boolean): Promise<void> {
    const redis = this.#options.redis;
    if (!redis || !current()) return;
    const subscriber = redis.duplicate();
    subscriber.on('error', () => undefined);
    subscriber.on('message', (channel: string, message: string) => {
      if (channel === REDIS_REVOCATION_CHANNEL) this.#apply(parsePayload(message));
    });
    let subscribedOnce = false;
    // After a reconnection (ioredis resubscribes by itself), catch up on what was published meanwhile.
    subscriber.on('ready', () => {
      if (subscribedOnce && this.#ready) {
        this.reload().catch((error: unknown) =>
          this.#options.logger.warn({ err: error }, 'revocation reload after Redis reconnection failed'),
        );
      }
    });
    try {
      await subscriber.subscribe(REDIS_REVOCATION_CHANNEL);
      // Stopped while subscribing: `stop` could not see this connection, and an open socket would
      // keep the process alive.
      if (!current()) {
        subscriber.disconnect();
        return;
      }
      subscribedOnce = true;
      this.#subscriber = subscriber;
    } catch (error) {
      subscriber.disconnect();
      this.#options.logger.warn({ err: error }, 'cannot subscribe to revocations on Redis; PostgreSQL only');
    }
  }
}
