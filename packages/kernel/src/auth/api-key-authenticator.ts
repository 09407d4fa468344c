import { LRUCache } from 'lru-cache';
import { constantTimeEqual, hashApiKey, parseApiKey } from '../secrets/api-keys.js';

/** One stored key, as the service's table holds it. */
export interface StoredApiKey<R> {
  id: string;
  /** What is stored for the key (by default hex SHA-256 of the whole key, `hashApiKey`). */
  hash: string;
  revokedAt: Date | null;
  expiresAt?: Date | null;
  /** The service's own row: tenant, scopes, owner… handed back on success. */
  record: R;
}

/** Where a service keeps its keys. */
export interface ApiKeyStore<R> {
  /**
   * Every key whose stored lookup prefix equals `prefix` (an indexed column). Revoked and expired
   * keys may be returned: the authenticator refuses them itself.
   */
  findByPrefix(prefix: string): Promise<readonly StoredApiKey<R>[]>;
  /**
   * Stamps the key's last use. Called off the request path, at most once per `touchIntervalMs` per
   * key in a process; write it conditionally (`WHERE last_used_at < at - interval`) so several
   * processes add no more than one write a minute between them. Omit it when the table has no such column.
   */
  touch?(key: StoredApiKey<R>, at: Date): Promise<void>;
}

export interface ApiKeyAuthenticatorOptions<R> {
  store: ApiKeyStore<R>;
  /** Which key prefixes (`sk_live`, `bio`, `tm_pilot`…) this service accepts; anything else is refused unread. */
  acceptsPrefix(prefix: string): boolean;
  /**
   * Secret characters in the stored lookup prefix: the `displayChars` the keys were minted with
   * (`mintApiKey`), so the lookup prefix of a presented key is its display prefix.
   */
  displayChars: number;
  /** The stored hash of a presented key; default `hashApiKey`. Keep each table's existing format. */
  hash?: (presented: string) => string;
  /** Default 60 000: `last_used_at` moves at most once a minute per key. */
  touchIntervalMs?: number;
  /** Milliseconds since the epoch; a test passes a fake clock. */
  now?: () => number;
  /** A failed `touch` (never the caller's failure: the request has been answered or goes on). */
  onTouchError?: (error: unknown, keyId: string) => void;
}

/** Longer presented values are refused before any work: no key of the platform comes close. */
const MAX_PRESENTED_LENGTH = 256;
const DEFAULT_TOUCH_INTERVAL_MS = 60_000;
/** Keys whose last touch is remembered; past it the least recently used may be touched again early. */
const MAX_REMEMBERED_TOUCHES = 100_000;

/**
 * API keys shaped `prefix_secret` (`mintApiKey`): the presented key's display prefix selects the
 * candidates through an index, the hash of the whole key is compared in constant time with each
 * of them, and a revoked or expired key is refused on the very next request (nothing is cached).
 * Last use is recorded asynchronously, at most once per interval per key, never on the request's
 * path and never as a write per call.
 */
export class ApiKeyAuthenticator<R> {
  readonly #options: ApiKeyAuthenticatorOptions<R>;
  readonly #hash: (presented: string) => string;
  readonly #touchIntervalMs: number;
  readonly #now: () => number;
  /** Key id → when its last touch started, forgotten once the interval has passed. */
  readonly #touchedAt: LRUCache<string, number>;
  readonly #pending = new Set<Promise<void>>();

  constructor(options: ApiKeyAuthenticatorOptions<R>) {
    if (!Number.isInteger(options.displayChars) || options.displayChars < 1) {
      throw new RangeError('displayChars must be a positive integer');
    }
    this.#options = options;
    this.#hash = options.hash ?? hashApiKey;
    this.#touchIntervalMs = options.touchIntervalMs ?? DEFAULT_TOUCH_INTERVAL_MS;
    if (!(this.#touchIntervalMs > 0)) throw new RangeError('touchIntervalMs must be positive');
    this.#now = options.now ?? Date.now;
    this.#touchedAt = new LRUCache({
      max: MAX_REMEMBERED_TOUCHES,
      ttl: this.#touchIntervalMs,
      // The same clock as the touches (tests inject one), read afresh on every check.
      perf: { now: this.#now },
      ttlResolution: 0,
    });
  }

  /** The lookup prefix of a presented key, or undefined when it cannot be a key of this service. */
  lookupPrefix(presented: string): string | undefined {
    if (presented.length > MAX_PRESENTED_LENGTH) return undefined;
    const parsed = parseApiKey(presented);
    const { displayChars } = this.#options;
    if (!parsed || parsed.secret.length <= displayChars || !this.#options.acceptsPrefix(parsed.prefix)) {
      return undefined;
    }
    return `${parsed.prefix}_${parsed.secret.slice(0, displayChars)}`;
  }

  /**
   * The stored key the presented one matches, when it is neither revoked nor expired; otherwise
   * undefined. `accept` runs the service's own checks on the key (its owner paused, a rate limit):
   * when it throws, the error is the caller's answer and the key's use is not recorded.
   */
  async authenticate(
    presented: string,
    accept?: (record: R) => void | Promise<void>,
  ): Promise<StoredApiKey<R> | undefined> {
    const prefix = this.lookupPrefix(presented);
    if (prefix === undefined) return undefined;
    const candidates = await this.#options.store.findByPrefix(prefix);
    const hash = this.#hash(presented);
    let match: StoredApiKey<R> | undefined;
    // Every candidate is compared (no early exit): the time does not say which one matched.
    for (const candidate of candidates) {
      if (constantTimeEqual(candidate.hash, hash)) match = candidate;
    }
    if (!match || match.revokedAt) return undefined;
    const now = this.#now();
    if (match.expiresAt && match.expiresAt.getTime() <= now) return undefined;
    await accept?.(match.record);
    this.#touch(match, now);
    return match;
  }

  /** Resolves once every touch started so far has finished (shutdown, tests). */
  async drain(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all(this.#pending);
  }

  #touch(key: StoredApiKey<R>, now: number): void {
    const { touch } = this.#options.store;
    if (!touch) return;
    const last = this.#touchedAt.get(key.id);
    if (last !== undefined && now - last < this.#touchIntervalMs) return;
    this.#touchedAt.set(key.id, now);
    const running: Promise<void> = Promise.resolve()
      .then(() => touch.call(this.#options.store, key, new Date(now)))
      .catch((error: unknown) => {
        // Not recorded: the next use tries again.
        if (this.#touchedAt.get(key.id) === now) this.#touchedAt.delete(key.id);
        this.#options.onTouchError?.(error, key.id);
      })
      .finally(() => this.#pending.delete(running));
    this.#pending.add(running);
  }
}
