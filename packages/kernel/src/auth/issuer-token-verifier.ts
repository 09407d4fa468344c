import fs from 'node:fs/promises';
import net from 'node:net';
import {
  createRemoteJWKSet,
  type CryptoKey,
  decodeProtectedHeader,
  importSPKI,
  type JWTPayload,
  jwtVerify,
  type RemoteJWKSet,
} from 'jose';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import { TokenError, tokenErrorFrom } from '../secrets/jwt.js';
import type { RevocationCheck } from './revocation-list.js';

/** The issuer's keys could not be fetched: the token may be fine, so this is not a 401. */
export class IssuerKeysUnavailableError extends Error {
  override readonly name = 'IssuerKeysUnavailableError';
}

/** Where the issuer's public keys come from. */
export type IssuerKeySource =
  | {
      /** The issuer's JWKS; `https:` unless the host is loopback. */
      jwksUrl: string;
      /** Least time between two fetches caused by an unknown `kid`. Default 1000 ms. */
      refetchIntervalMs?: number;
      /** The JWKS is re-fetched in the background this often, so retired keys are dropped. Default 5 min. */
      refreshIntervalMs?: number;
      timeoutMs?: number;
    }
  | {
      /** A PEM (SPKI) public key file; re-read when it changes. Verifies whatever `kid` a token names. */
      publicKeyFile: string;
    };

export interface IssuerTokenVerifierOptions {
  /** Required `iss`. */
  issuer: string;
  keys: IssuerKeySource;
  revocations: RevocationCheck;
  /** Required `token_use`; other kinds of the issuer's tokens (refresh, password reset) are refused. Default `access`. */
  tokenUse?: string;
  algorithms?: string[];
  clockToleranceSeconds?: number;
  /** Verified tokens remembered (until their `exp`), so a repeated token costs a map lookup. Default 10 000. */
  cacheSize?: number;
  logger?: Logger;
}

/** An issuer's access token, verified and not revoked. */
export interface VerifiedIssuerToken {
  sub: string;
  jti: string;
  /** `sid`, or null when the token names no session (absent or the nil UUID of service tokens). */
  sid: string | null;
  /** Seconds since the epoch. */
  exp: number;
  claims: JWTPayload & Record<string, unknown>;
}

interface CacheEntry {
  token: VerifiedIssuerToken;
  kid: string | undefined;
}

const NIL_UUID = '00000000-0000-0000-0000-000000000000';
const MAX_TOKEN_LENGTH = 16 * 1024;

/** Loopback hosts may be reached over plain HTTP: nothing leaves the machine. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (net.isIPv4(host)) return host.startsWith('127.');
  if (net.isIPv6(host)) return host === '::1' || host.startsWith('::ffff:127.');
  return false;
}

/** Refuses a JWKS URL that would let the network substitute the keys. */
export function assertJwksUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(`JWKS URL is not a URL: ${url}`);
  }
  if (parsed.protocol === 'https:') return parsed;
  if (parsed.protocol === 'http:' && isLoopbackHost(parsed.hostname)) return parsed;
  throw new TypeError(`JWKS URL must use https unless its host is loopback: ${url}`);
}

function verificationFailure(error: unknown): Error {
  return error instanceof IssuerKeysUnavailableError ? error : tokenErrorFrom(error);
}

/** Key lookup through the JWKS: no matching key is the token's fault, anything else the fetch's. */
function jwksKeyResolver(jwks: RemoteJWKSet): KeyResolver {
  return async (header) => {
    try {
      return await jwks(header);
    } catch (error) {
      const code = (error as { code?: string } | null)?.code;
      if (code === 'ERR_JWKS_NO_MATCHING_KEY' || code === 'ERR_JWKS_MULTIPLE_MATCHING_KEYS')
        throw new TokenError('unknown_key', 'token is signed with an unknown key');
      throw new IssuerKeysUnavailableError('the issuer keys could not be fetched', { cause: error });
    }
  };
}

type KeyResolver = (header: { alg?: string; kid?: string }) => Promise<CryptoKey>;

function fileKeyResolver(file: string): KeyResolver {
  let cached: { mtimeMs: number; pem: string; keys: Map<string, CryptoKey> } | undefined;
  return async (header) => {
    try {
      const stats = await fs.stat(file);
      if (!cached || cached.mtimeMs !== stats.mtimeMs) {
        cached = { mtimeMs: stats.mtimeMs, pem: await fs.readFile(file, 'utf8'), keys: new Map() };
      }
    } catch (error) {
      throw new IssuerKeysUnavailableError(`the public key file cannot be read: ${file}`, { cause: error });
    }
    const alg = header.alg ?? '';
    let key = cached.keys.get(alg);
    if (!key) {
      try {
        key = await importSPKI(cached.pem, alg);
      } catch {
        throw new TokenError('algorithm', 'token algorithm does not match the public key');
      }
      cached.keys.set(alg, key);
    }
    return key;
  };
}

/**
 * Verifies the access tokens of one issuer (an identity service of the platform) for the services
 * that trust it: signature by a key of the issuer (its JWKS, or a PEM file), `iss`, `exp`, a
 * `token_use` of `access` (the issuer's refresh and password-reset tokens are refused), `sub` and
 * `jti`, and that neither the token nor its session is revoked (`RevocationList`, in memory).
 * A verified token is remembered until its `exp` (least recently used evicted first), so a
 * repeated token costs one map lookup plus the revocation check; entries whose key left the JWKS
 * are forgotten at the next refresh.
 */
export class IssuerTokenVerifier {
  readonly #options: IssuerTokenVerifierOptions;
  readonly #resolveKey: KeyResolver;
  readonly #jwks: RemoteJWKSet | undefined;
  readonly #verified: LRUCache<string, CacheEntry>;
  #refreshTimer: NodeJS.Timeout | undefined;

  constructor(options: IssuerTokenVerifierOptions) {
    if (!options.issuer) throw new TypeError('an issuer is required');
    this.#options = options;
    this.#verified = new LRUCache({ max: options.cacheSize ?? 10_000 });
    const keys = options.keys;
    if ('jwksUrl' in keys) {
      const jwks = createRemoteJWKSet(assertJwksUrl(keys.jwksUrl), {
        cooldownDuration: keys.refetchIntervalMs ?? 1000,
        // Keys are never dropped for age alone: while the issuer is unreachable the known keys keep
        // verifying; the background refresh below replaces them when it can.
        cacheMaxAge: Number.POSITIVE_INFINITY,
        timeoutDuration: keys.timeoutMs ?? 5000,
      });
      this.#jwks = jwks;
      this.#resolveKey = jwksKeyResolver(jwks);
      const every = keys.refreshIntervalMs ?? 5 * 60_000;
      // Unref'd, so it never keeps a process alive; `close` clears it (media calls it from
      // `context.onClose`, so a test harness that boots and closes a service leaves none behind).
      // A refresh still in flight at close only settles its fetch (bounded by `timeoutMs`).
      this.#refreshTimer = setInterval(() => void this.refreshKeys(), every);
      this.#refreshTimer.unref();
    } else {
      this.#resolveKey = fileKeyResolver(keys.publicKeyFile);
    }
  }

  /** Stops the background JWKS refresh. */
  close(): void {
    if (this.#refreshTimer) clearInterval(this.#refreshTimer);
    this.#refreshTimer = undefined;
  }

  /** Re-fetches the JWKS now; remembered tokens whose key is gone are forgotten. */
  async refreshKeys(): Promise<void> {
    if (!this.#jwks) return;
    try {
      await this.#jwks.reload();
    } catch (error) {
      this.#options.logger?.warn({ err: error }, 'could not refresh the issuer JWKS; keeping the known keys');
      return;
    }
    const kids = new Set((this.#jwks.jwks()?.keys ?? []).map((key) => key.kid));
    const gone = [...this.#verified.entries()].filter(([, entry]) => !kids.has(entry.kid));
    for (const [token] of gone) this.#verified.delete(token);
  }

  /**
   * Throws `TokenError` (reason `revoked` for a revoked token or session, `claim` with
   * `claim: 'token_use'` for another kind of token) or `IssuerKeysUnavailableError`.
   */
  async verify(token: string): Promise<VerifiedIssuerToken> {
    const cached = this.#verified.get(token);
    if (cached) return this.#unlessRevoked(cached.token);
    if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH)
      throw new TokenError('malformed', 'token is malformed');
    let kid: string | undefined;
    let payload: JWTPayload & Record<string, unknown>;
    try {
      kid = decodeProtectedHeader(token).kid;
      const verified = await jwtVerify(token, (header) => this.#resolveKey(header), {
        issuer: this.#options.issuer,
        algorithms: this.#options.algorithms ?? ['RS256'],
        clockTolerance: this.#options.clockToleranceSeconds ?? 5,
        requiredClaims: ['exp', 'sub', 'jti'],
      });
      payload = verified.payload as JWTPayload & Record<string, unknown>;
    } catch (error) {
      throw verificationFailure(error);
    }
    const tokenUse = this.#options.tokenUse ?? 'access';
    if (payload.token_use !== tokenUse)
      throw new TokenError('claim', `token is not an ${tokenUse} token`, 'token_use');
    if (typeof payload.sub !== 'string' || payload.sub.length === 0)
      throw new TokenError('claim', 'token has no subject', 'sub');
    if (typeof payload.jti !== 'string' || payload.jti.length === 0)
      throw new TokenError('claim', 'token has no id', 'jti');
    const sid =
      typeof payload.sid === 'string' && payload.sid.length > 0 && payload.sid !== NIL_UUID
        ? payload.sid
        : null;
    const verified: VerifiedIssuerToken = {
      sub: payload.sub,
      jti: payload.jti,
      sid,
      exp: payload.exp as number,
      claims: payload,
    };
    // Remembered until its exp (a token inside the clock tolerance, already past it, is not).
    const untilExpiry = verified.exp * 1000 - Date.now();
    if (untilExpiry > 0) this.#verified.set(token, { token: verified, kid }, { ttl: untilExpiry });
    return this.#unlessRevoked(verified);
  }

  #unlessRevoked(token: VerifiedIssuerToken): VerifiedIssuerToken {
    if (this.#options.revocations.isRevoked({ jti: token.jti, sid: token.sid }))
      throw new TokenError('revoked', 'token has been revoked');
    return token;
  }
}
