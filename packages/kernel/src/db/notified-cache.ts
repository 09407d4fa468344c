import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { Logger } from 'pino';
import { PgListener } from './pg-listener.js';

/**
 * A payload starting with this is a barrier (see `NotifiedCache.sync`), never a key: keys must not
 * start with `#`.
 */
const BARRIER_PREFIX = '#barrier:';
/** A payload of exactly this drops every entry (e.g. a table was truncated or bulk-rewritten). */
export const NOTIFIED_CACHE_CLEAR_ALL = '*';

interface Subscriber {
  onNotification(payload: string): void;
  onConnected(): void;
}

interface SharedChannel {
  listener: PgListener;
  subscribers: Set<Subscriber>;
  started: Promise<boolean>;
}

/** One LISTEN connection per database and channel in a process, shared by every cache on it. */
const sharedChannels = new Map<string, SharedChannel>();

function connectionKey(pool: pg.Pool, channel: string): string {
  const options = pool.options as pg.PoolConfig;
  const where =
    options.connectionString ?? `${options.host}:${options.port}/${options.database}?${options.user}`;
  return `${where}#${channel}`;
}

interface Subscription {
  readonly started: Promise<boolean>;
  readonly listening: boolean;
  unsubscribe(): Promise<void>;
}

function subscribe(pool: pg.Pool, channel: string, logger: Logger, subscriber: Subscriber): Subscription {
  const key = connectionKey(pool, channel);
  let shared = sharedChannels.get(key);
  if (!shared) {
    const subscribers = new Set<Subscriber>();
    const listener = new PgListener({
      pool,
      channels: [channel],
      logger,
      onNotification: (_channel, payload) => {
        for (const each of subscribers) each.onNotification(payload);
      },
      onConnected: () => {
        for (const each of subscribers) each.onConnected();
      },
    });
    shared = { listener, subscribers, started: listener.start() };
    sharedChannels.set(key, shared);
  }
  const current = shared;
  current.subscribers.add(subscriber);
  return {
    started: current.started,
    get listening() {
      return current.listener.listening;
    },
    async unsubscribe() {
      if (!current.subscribers.delete(subscriber) || current.subscribers.size > 0) return;
      if (sharedChannels.get(key) === current) sharedChannels.delete(key);
      await current.listener.stop();
    },
  };
}

export interface NotifiedCacheOptions<V> {
  /** A pool on the database whose NOTIFYs invalidate entries (the LISTEN connection is its own). */
  pool: pg.Pool;
  /** The NOTIFY channel; a payload is the key of the entry that changed. */
  channel: string;
  logger: Logger;
  /** Reads the value from the database; undefined = nothing there (never cached). */
  load(key: string): Promise<V | undefined>;
  /** Whether a loaded value may be kept (e.g. not a short-lived state). Default: every value. */
  keep?(value: V): boolean;
  /** Entries kept at most (oldest loaded dropped first). Default 10,000. */
  maxEntries?: number;
  /** An entry is reloaded after this long whatever the channel says: a floor. Default 60 s. */
  maxAgeMs?: number;
  /** How long `sync` waits for its own NOTIFY to come back. Default 2 s. */
  barrierTimeoutMs?: number;
}

interface Loading<V> {
  promise: Promise<V | undefined>;
  /** False once the key was invalidated while this load ran: its result is then not kept. */
  current: boolean;
}

/**
 * Rows of PostgreSQL held in process memory, keyed by id, and dropped when the database says they
 * changed: whoever changes a row sends `pg_notify(channel, key)` in the changing transaction (a
 * trigger is the surest way: no writer can forget it), delivered to every LISTENing process when
 * it commits. One LISTEN connection per database and channel serves every cache of a process.
 *
 * Safety rules: nothing is served from memory unless the channel is LISTENing right now (a value
 * is then loaded on every call), every entry is dropped after each (re)connection (notifications
 * sent meanwhile are lost), a load overtaken by an invalidation of its key is not kept, and an
 * entry is reloaded after `maxAgeMs` whatever happened. The process that made a change calls
 * `changed(keys)` after its commit: its own entries go at once, and the call returns once its
 * own NOTIFY (sent after the commit) has come back, so every notification of the commit has
 * reached this process too.
 */
export class NotifiedCache<V> {
  readonly #options: NotifiedCacheOptions<V>;
  readonly #entries = new Map<string, { value: V; loadedAt: number }>();
  readonly #loading = new Map<string, Loading<V>>();
  readonly #barriers = new Map<string, () => void>();
  /** Keys changed in a transaction not yet seen committed: read through, never kept, until their NOTIFY (or the time here). */
  readonly #fenced = new Map<string, number>();
  #subscription: Subscription | undefined;
  #starting: Promise<void> | undefined;

  constructor(options: NotifiedCacheOptions<V>) {
    if (options.channel.startsWith('#')) throw new Error('a NOTIFY channel name cannot start with #');
    this.#options = options;
  }

  /** LISTENs (shared with the process's other caches on the channel). Idempotent. */
  start(): Promise<void> {
    this.#starting ??= (async () => {
      this.#subscription = subscribe(this.#options.pool, this.#options.channel, this.#options.logger, {
        onNotification: (payload) => this.#onNotification(payload),
        onConnected: () => this.clear(),
      });
      await this.#subscription.started;
    })();
    return this.#starting;
  }

  async stop(): Promise<void> {
    const subscription = this.#subscription;
    this.#subscription = undefined;
    this.#starting = undefined;
    this.clear();
    this.#fenced.clear();
    for (const resolve of this.#barriers.values()) resolve();
    this.#barriers.clear();
    await subscription?.unsubscribe();
  }

  /** Whether entries are served from memory right now (the channel is LISTENing). */
  get listening(): boolean {
    return this.#subscription?.listening ?? false;
  }

  /** Whether `key` is held in memory (for tests and metrics). */
  has(key: string): boolean {
    return this.#entries.has(key);
  }

  /** The value of `key`: from memory when held and the channel listens, else loaded (one load per key at a time). */
  get(key: string): Promise<V | undefined> {
    if (this.#subscription === undefined) {
      this.start().catch((error: unknown) =>
        this.#options.logger.warn({ err: error, channel: this.#options.channel }, 'cache cannot LISTEN'),
      );
    }
    const fence = this.#fenced.get(key);
    if (fence !== undefined) {
      if (fence > Date.now()) return this.#options.load(key);
      this.#fenced.delete(key);
    }
    if (this.listening) {
      const entry = this.#entries.get(key);
      if (entry && Date.now() - entry.loadedAt < (this.#options.maxAgeMs ?? 60_000)) {
        return Promise.resolve(entry.value);
      }
    } else if (this.#entries.size > 0) {
      this.clear();
    }
    const running = this.#loading.get(key);
    if (running) return running.promise;
    const loading: Loading<V> = { current: true, promise: Promise.resolve(undefined) };
    loading.promise = this.#options.load(key).then(
      (value) => {
        if (this.#loading.get(key) === loading) this.#loading.delete(key);
        if (
          value !== undefined &&
          loading.current &&
          this.listening &&
          (this.#options.keep?.(value) ?? true)
        ) {
          this.#store(key, value);
        }
        return value;
      },
      (error: unknown) => {
        if (this.#loading.get(key) === loading) this.#loading.delete(key);
        throw error;
      },
    );
    this.#loading.set(key, loading);
    return loading.promise;
  }

  /**
   * Drops `key` in this process (a load of it running now is not kept). `untilNotified`: for a
   * change made inside a transaction that has not committed yet (whose end the caller does not
   * see): `key` is then read from the database on every call, and not kept, until its NOTIFY
   * arrives (the commit) or `fenceMs` (default 10 s) has passed (a rollback sends nothing).
   */
  invalidate(key: string, options: { untilNotified?: boolean; fenceMs?: number } = {}): void {
    if (options.untilNotified) this.#fenced.set(key, Date.now() + (options.fenceMs ?? 10_000));
    this.#entries.delete(key);
    const loading = this.#loading.get(key);
    if (loading) {
      loading.current = false;
      this.#loading.delete(key);
    }
  }

  /** Drops every entry in this process. */
  clear(): void {
    this.#entries.clear();
    for (const loading of this.#loading.values()) loading.current = false;
    this.#loading.clear();
  }

  /**
   * After a commit that changed `keys` (and notified them): drops them here at once, then waits
   * for `sync`, so that when it resolves every notification of that commit has reached this
   * process (and, sent at the same commit, every other LISTENing one).
   */
  async changed(keys: string | Iterable<string>): Promise<void> {
    for (const key of typeof keys === 'string' ? [keys] : keys) this.invalidate(key);
    await this.sync();
  }

  /**
   * A barrier: sends a NOTIFY of its own and waits (at most `barrierTimeoutMs`) until it comes
   * back. PostgreSQL delivers a channel's notifications in commit order, so everything committed
   * before the call has then been received. Returns at once when not LISTENing (nothing is served
   * from memory then); never throws (a failure is logged: the notifications still come, or the
   * reconnection drops everything).
   */
  async sync(): Promise<void> {
    if (!this.listening) return;
    const id = randomUUID();
    let timer: NodeJS.Timeout | undefined;
    const echoed = new Promise<void>((resolve) => {
      this.#barriers.set(id, resolve);
      timer = setTimeout(resolve, this.#options.barrierTimeoutMs ?? 2000);
      timer.unref();
    });
    try {
      await this.#options.pool.query('SELECT pg_notify($1, $2)', [
        this.#options.channel,
        `${BARRIER_PREFIX}${id}`,
      ]);
      await echoed;
    } catch (error) {
      // The change itself is committed; its NOTIFYs still come (or the reconnection clears all).
      this.#options.logger.warn({ err: error, channel: this.#options.channel }, 'cache barrier failed');
    } finally {
      clearTimeout(timer);
      this.#barriers.delete(id);
    }
  }

  #onNotification(payload: string): void {
    if (payload.startsWith(BARRIER_PREFIX)) {
      this.#barriers.get(payload.slice(BARRIER_PREFIX.length))?.();
      return;
    }
    if (payload === NOTIFIED_CACHE_CLEAR_ALL) {
      this.clear();
      this.#fenced.clear();
    } else {
      this.invalidate(payload);
      this.#fenced.delete(payload);
    }
  }

  #store(key: string, value: V): void {
    this.#entries.delete(key);
    this.#entries.set(key, { value, loadedAt: Date.now() });
    const max = this.#options.maxEntries ?? 10_000;
    while (this.#entries.size > max) {
      const oldest = this.#entries.keys().next();
      if (oldest.done) break;
      this.#entries.delete(oldest.value);
    }
  }
}
