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
  /** The NOTIFY channel; a payload names an entry's key or one of its tags (see `tags`). */
  channel: string;
  logger: Logger;
  /** Reads the value from the database; undefined = nothing there (kept only with `missingMaxAgeMs`). */
  load(key: string): Promise<V | undefined>;
  /** Whether a loaded value may be kept (e.g. not a short-lived state). Default: every value. */
  keep?(value: V): boolean;
  /**
   * Tags of a loaded value: subjects several entries share (e.g. `org:<id>` on every answer about
   * one org). A NOTIFY payload, or `invalidate(name)`, drops the entry keyed `name` and every entry
   * tagged `name`: keys and tags are one name space, so the caller picks names that cannot mean
   * something else (a prefix such as `org:`). Default: no tags.
   */
  tags?(value: V, key: string): Iterable<string>;
  /** Entries kept at most (oldest loaded dropped first). Default 10,000. */
  maxEntries?: number;
  /** An entry is reloaded after this long whatever the channel says: a floor. Default 60 s. */
  maxAgeMs?: number;
  /**
   * How long a "nothing there" answer (`load` gave undefined) is kept, e.g. so that unknown names
   * cost no query each; dropped like any entry by a NOTIFY of its key. Default 0: never kept.
   */
  missingMaxAgeMs?: number;
  /** How long `sync` waits for its own NOTIFY to come back. Default 2 s. */
  barrierTimeoutMs?: number;
}

interface Entry<V> {
  value: V | undefined;
  expiresAt: number;
  tags: readonly string[];
}

interface Loading<V> {
  promise: Promise<V | undefined>;
  /** The invalidation generation when the load began: a later invalidation of its key, a tag of its value, or a clear, means it read a stale row. */
  started: number;
}

/**
 * Rows of PostgreSQL held in process memory, keyed by id, and dropped when the database says they
 * changed: whoever changes a row sends `pg_notify(channel, key)` (or a tag the entry carries, for
 * every entry about one subject) in the changing transaction (a trigger is the surest way: no
 * writer can forget it), delivered to every LISTENing process when it commits. One LISTEN
 * connection per database and channel serves every cache of a process.
 *
 * Safety rules: nothing is served from memory unless the channel is LISTENing right now (a value
 * is then loaded on every call), every entry is dropped after each (re)connection (notifications
 * sent meanwhile are lost), a load overtaken by an invalidation of its key or of a tag of its
 * value (invalidation generations) is not kept, and an entry is reloaded after `maxAgeMs` (a
 * "nothing there" answer after `missingMaxAgeMs`) whatever happened. The process that made a
 * change calls `changed(names)` after its commit: its own entries go at once, and the call returns
 * once its own NOTIFY (sent after the commit) has come back, so every notification of the commit
 * has reached this process too.
 */
export class NotifiedCache<V> {
  readonly #options: NotifiedCacheOptions<V>;
  readonly #entries = new Map<string, Entry<V>>();
  /** Tag → the keys of the entries carrying it. */
  readonly #tagged = new Map<string, Set<string>>();
  /** The load each key's callers share, while no invalidation has overtaken it. */
  readonly #loading = new Map<string, Loading<V>>();
  /** Loads in flight, shared or overtaken: while there are any, invalidations are recorded in `#invalidatedAt`. */
  #running = 0;
  /** Bumped by every invalidation and clear. */
  #generation = 0;
  /** The generation of the last `clear`. */
  #clearedAt = 0;
  /** Key or tag → the generation of its last invalidation, while loads run (emptied when none does). */
  readonly #invalidatedAt = new Map<string, number>();
  readonly #barriers = new Map<string, () => void>();
  /** Keys or tags changed in a transaction not yet seen committed: read through, never kept, until their NOTIFY (or the time here). */
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

  /** Whether `key` is held in memory, a "nothing there" answer included (for tests and metrics). */
  has(key: string): boolean {
    return this.#entries.has(key);
  }

  /** How many entries are held (for tests and metrics). */
  get size(): number {
    return this.#entries.size;
  }

  /** The value of `key`: from memory when held and the channel listens, else loaded (one load per key at a time). */
  get(key: string): Promise<V | undefined> {
    if (this.#subscription === undefined) {
      this.start().catch((error: unknown) =>
        this.#options.logger.warn({ err: error, channel: this.#options.channel }, 'cache cannot LISTEN'),
      );
    }
    if (this.#isFenced(key)) return this.#options.load(key);
    if (this.listening) {
      const entry = this.#entries.get(key);
      if (entry) {
        if (entry.expiresAt > Date.now()) return Promise.resolve(entry.value);
        this.#drop(key);
      }
    } else if (this.#entries.size > 0) {
      this.clear();
    }
    const running = this.#loading.get(key);
    if (running) return running.promise;
    const loading: Loading<V> = { started: this.#generation, promise: Promise.resolve(undefined) };
    this.#running += 1;
    const settled = () => {
      if (this.#loading.get(key) === loading) this.#loading.delete(key);
      this.#running -= 1;
      if (this.#running === 0) this.#invalidatedAt.clear();
    };
    loading.promise = this.#options.load(key).then(
      (value) => {
        try {
          this.#settle(key, value, loading.started);
        } finally {
          settled();
        }
        return value;
      },
      (error: unknown) => {
        settled();
        throw error;
      },
    );
    this.#loading.set(key, loading);
    return loading.promise;
  }

  /**
   * Replaces the value held for `key`, if any (same tags, same age): for a change this process
   * made to a column no NOTIFY covers (e.g. a last-used time), so that it is not written again.
   */
  update(key: string, value: V): void {
    const entry = this.#entries.get(key);
    if (entry) entry.value = value;
  }

  /**
   * Drops, in this process, the entry keyed `name` and every entry tagged `name` (a load running
   * now whose answer they would be is not kept). `untilNotified`: for a change made inside a
   * transaction that has not committed yet (whose end the caller does not see): `name` is then
   * read from the database on every call, and not kept, until its NOTIFY arrives (the commit) or
   * `fenceMs` (default 10 s) has passed (a rollback sends nothing).
   */
  invalidate(name: string, options: { untilNotified?: boolean; fenceMs?: number } = {}): void {
    if (options.untilNotified) this.#fenced.set(name, Date.now() + (options.fenceMs ?? 10_000));
    this.#generation += 1;
    if (this.#running > 0) this.#invalidatedAt.set(name, this.#generation);
    this.#drop(name);
    const keys = this.#tagged.get(name);
    if (keys) for (const key of [...keys]) this.#drop(key);
    if (this.#options.tags) {
      // Which running loads will carry the tag is not known yet: later callers start afresh.
      this.#loading.clear();
    } else {
      this.#loading.delete(name);
    }
  }

  /** Drops every entry in this process. */
  clear(): void {
    this.#generation += 1;
    this.#clearedAt = this.#generation;
    this.#entries.clear();
    this.#tagged.clear();
    this.#loading.clear();
  }

  /**
   * After a commit that changed `names` (keys or tags, and notified them): drops them here at
   * once, then waits for `sync`, so that when it resolves every notification of that commit has
   * reached this process (and, sent at the same commit, every other LISTENing one).
   */
  async changed(names: string | Iterable<string>): Promise<void> {
    for (const name of typeof names === 'string' ? [names] : names) this.invalidate(name);
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

  #isFenced(name: string): boolean {
    const fence = this.#fenced.get(name);
    if (fence === undefined) return false;
    if (fence > Date.now()) return true;
    this.#fenced.delete(name);
    return false;
  }

  /** A finished load: kept only if nothing it answers for was invalidated since it began. */
  #settle(key: string, value: V | undefined, started: number): void {
    if (!this.listening || this.#clearedAt > started) return;
    if ((this.#invalidatedAt.get(key) ?? 0) > started || this.#isFenced(key)) return;
    let maxAgeMs: number;
    let tags: string[] = [];
    if (value === undefined) {
      maxAgeMs = this.#options.missingMaxAgeMs ?? 0;
    } else {
      if (!(this.#options.keep?.(value) ?? true)) return;
      maxAgeMs = this.#options.maxAgeMs ?? 60_000;
      tags = this.#options.tags ? [...this.#options.tags(value, key)] : [];
      for (const tag of tags) {
        if ((this.#invalidatedAt.get(tag) ?? 0) > started || this.#isFenced(tag)) return;
      }
    }
    if (maxAgeMs <= 0) return;
    this.#store(key, { value, expiresAt: Date.now() + maxAgeMs, tags });
  }

  #store(key: string, entry: Entry<V>): void {
    this.#drop(key);
    this.#entries.set(key, entry);
    for (const tag of entry.tags) {
      let keys = this.#tagged.get(tag);
      if (!keys) {
        keys = new Set();
        this.#tagged.set(tag, keys);
      }
      keys.add(key);
    }
    const max = this.#options.maxEntries ?? 10_000;
    while (this.#entries.size > max) {
      const oldest = this.#entries.keys().next();
      if (oldest.done) break;
      this.#drop(oldest.value);
    }
  }

  #drop(key: string): void {
    const entry = this.#entries.get(key);
    if (!entry) return;
    this.#entries.delete(key);
    for (const tag of entry.tags) {
      const keys = this.#tagged.get(tag);
      keys?.delete(key);
      if (keys?.size === 0) this.#tagged.delete(tag);
    }
  }
}
