import fs from 'node:fs/promises';
import { importVerificationKey, type VerificationKey } from '@trustplane/kernel';
import type { Logger } from 'pino';

/** The key for a token could not be looked up (account unreachable or answering nonsense). */
export class KeySourceUnavailableError extends Error {
  override readonly name = 'KeySourceUnavailableError';
}

/** Where the account service's token verification keys come from. */
export interface KeySource {
  /** Keys to verify a token signed with `kid`; may fetch when `kid` is unknown. */
  keysFor(kid: string): Promise<VerificationKey[]>;
}

/**
 * A PEM file (`JWT_PUBLIC_KEY_PATH`): one key, whatever `kid` the token names. Rotation means
 * replacing the file; it is re-read when its modification time changes.
 */
export function createFileKeySource(file: string): KeySource {
  let cached: { mtimeMs: number; pem: string } | undefined;
  const byKid = new Map<string, VerificationKey>();
  return {
    async keysFor(kid) {
      const stats = await fs.stat(file);
      if (!cached || cached.mtimeMs !== stats.mtimeMs) {
        cached = { mtimeMs: stats.mtimeMs, pem: await fs.readFile(file, 'utf8') };
        byKid.clear();
      }
      let key = byKid.get(kid);
      if (!key) {
        key = await importVerificationKey(cached.pem, 'RS256', kid);
        byKid.set(kid, key);
      }
      return [key];
    },
  };
}

interface PublicKeyDocument {
  key_id: string;
  algorithm: string;
  public_key: string;
  expires_at?: number;
}

function parsePublicKeyResponse(body: unknown): PublicKeyDocument {
  // Account wraps payloads in `{ success, data }`; accept the bare document too.
  const data = (body as { data?: unknown } | null)?.data ?? body;
  const doc = data as Partial<PublicKeyDocument> | null;
  if (
    !doc ||
    typeof doc.key_id !== 'string' ||
    typeof doc.public_key !== 'string' ||
    typeof doc.algorithm !== 'string'
  ) {
    throw new Error('account public-key response has no key_id/algorithm/public_key');
  }
  return doc as PublicKeyDocument;
}

export interface RemoteKeySourceOptions {
  accountServiceUrl: string;
  logger: Logger;
  /** Minimum time between two fetches caused by unknown `kid`s, so random kids cannot flood account. */
  minRefetchIntervalMs?: number;
  fetchTimeoutMs?: number;
  /**
   * How long a key account no longer serves keeps verifying: longer than any token it signed can
   * live (access 15 min, service 1 h), short enough that a retired key does not stay trusted forever.
   */
  retainPreviousMs?: number;
}

/**
 * `GET {ACCOUNT_SERVICE_URL}/api/v1/auth/public-key`, cached by `kid`. An unknown `kid` triggers a
 * re-fetch (rotation without restart); keys learned earlier are kept so tokens signed by the
 * previous key keep verifying until they expire, as the account seed asks of verifiers.
 */
export function createRemoteKeySource(options: RemoteKeySourceOptions): KeySource {
  const byKid = new Map<string, VerificationKey>();
  /** When each key stopped being the one account serves. */
  const supersededAt = new Map<string, number>();
  const retainPreviousMs = options.retainPreviousMs ?? 24 * 60 * 60 * 1000;
  const minInterval = options.minRefetchIntervalMs ?? 1000;
  let lastFetchAt = Number.NEGATIVE_INFINITY;
  let horizon = Number.NEGATIVE_INFINITY;
  let inFlight: Promise<void> | undefined;
  let lastFetchFailed = false;

  async function fetchKey(): Promise<void> {
    lastFetchAt = Date.now();
    const response = await fetch(`${options.accountServiceUrl}/api/v1/auth/public-key`, {
      signal: AbortSignal.timeout(options.fetchTimeoutMs ?? 5000),
      headers: { accept: 'application/json' },
    });
    if (!response.ok) throw new Error(`account public-key endpoint answered ${response.status}`);
    const doc = parsePublicKeyResponse(await response.json());
    if (doc.algorithm !== 'RS256') throw new Error(`unsupported token algorithm ${doc.algorithm}`);
    const key = await importVerificationKey(doc.public_key, 'RS256', doc.key_id);
    const now = Date.now();
    for (const kid of byKid.keys())
      if (kid !== doc.key_id && !supersededAt.has(kid)) supersededAt.set(kid, now);
    supersededAt.delete(doc.key_id);
    byKid.set(doc.key_id, key);
    horizon = typeof doc.expires_at === 'number' ? doc.expires_at * 1000 : Number.POSITIVE_INFINITY;
  }

  function refresh(): Promise<void> {
    inFlight ??= fetchKey()
      .then(() => {
        lastFetchFailed = false;
      })
      .catch((error: unknown) => {
        lastFetchFailed = true;
        options.logger.warn({ err: error }, 'could not fetch the account public key');
      })
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  }

  return {
    async keysFor(kid) {
      const now = Date.now();
      for (const [oldKid, since] of supersededAt) {
        if (now - since > retainPreviousMs) {
          byKid.delete(oldKid);
          supersededAt.delete(oldKid);
        }
      }
      const stale = now >= horizon;
      if (
        (!byKid.has(kid) && now - lastFetchAt >= minInterval) ||
        (stale && now - lastFetchAt >= minInterval)
      ) {
        await refresh();
      } else if (inFlight) {
        await inFlight;
      }
      // Unknown kid and account could not be asked: the token may well be valid, so say so (503)
      // rather than calling it forged (401).
      if (!byKid.has(kid) && lastFetchFailed)
        throw new KeySourceUnavailableError('account public key unavailable');
      return [...byKid.values()];
    },
  };
}
