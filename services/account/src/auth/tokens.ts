import { randomUUID } from 'node:crypto';
import { type SigningKeyStore, TokenError } from '@trustplane/kernel';
import { LRUCache } from 'lru-cache';
import type { AccountConfig } from '../config.js';
import { errors } from '../errors.js';

export const NIL_UUID = '00000000-0000-0000-0000-000000000000';

export type PrincipalType = 'human' | 'service';
export type TokenUse = 'access' | 'refresh' | 'password_reset';

export interface OrgClaim {
  id: string;
  role: string;
}

export interface AccessClaims {
  sub: string;
  sid: string;
  org_id: string;
  permissions: string[];
  organizations: OrgClaim[];
  principal_type: PrincipalType;
  jti: string;
  exp: number;
  iat: number;
  iss: string;
  token_use: 'access';
}

export interface RefreshClaims {
  sub: string;
  sid: string;
  org_id: string;
  jti: string;
  exp: number;
  token_use: 'refresh';
}

export interface ResetClaims {
  sub: string;
  jti: string;
  exp: number;
  permissions: string[];
  token_use: 'password_reset';
}

export interface IssuedToken {
  token: string;
  jti: string;
  expiresAt: Date;
}

const VERIFIED_CACHE_SIZE = 10_000;

/** Signs and verifies the service's three token kinds; a kind is never accepted as another. */
export class TokenService {
  /**
   * Access tokens already verified, by their exact text: a signed token cannot change, so its
   * claims are reused until its exp (revocation is still checked on every request). Emptied
   * whenever the key set changes, so a retired key's tokens are verified again. Least recently
   * used evicted first.
   */
  readonly #verified = new LRUCache<string, AccessClaims>({ max: VERIFIED_CACHE_SIZE });
  #keyGeneration: unknown;

  constructor(
    private readonly keys: SigningKeyStore,
    private readonly config: AccountConfig,
  ) {}

  async signAccess(claims: {
    sub: string;
    sid: string;
    orgId: string;
    permissions: string[];
    organizations: OrgClaim[];
    principalType: PrincipalType;
    ttlSeconds?: number;
  }): Promise<IssuedToken> {
    const ttl = claims.ttlSeconds ?? this.config.accessTokenTtl;
    return this.#sign(
      {
        sid: claims.sid,
        org_id: claims.orgId,
        permissions: claims.permissions,
        organizations: claims.organizations,
        principal_type: claims.principalType,
        token_use: 'access',
      },
      claims.sub,
      ttl,
    );
  }

  signRefresh(sub: string, sid: string, orgId: string, jti: string): Promise<IssuedToken> {
    return this.#sign({ sid, org_id: orgId, token_use: 'refresh' }, sub, this.config.refreshTokenTtl, jti);
  }

  signPasswordReset(sub: string, jti: string): Promise<IssuedToken> {
    return this.#sign(
      { permissions: ['password:reset'], token_use: 'password_reset' },
      sub,
      this.config.passwordResetTtl,
      jti,
    );
  }

  /** The claims of an access token verified before and not yet expired; undefined otherwise. */
  cachedAccess(token: string): AccessClaims | undefined {
    if (this.#keyGeneration !== this.keys.ring) {
      this.#verified.clear();
      this.#keyGeneration = this.keys.ring;
      return undefined;
    }
    return this.#verified.get(token);
  }

  /** Changes whenever the signing key set does; claims verified under another generation are stale. */
  get keyGeneration(): unknown {
    return this.keys.ring;
  }

  /**
   * Whether claims `cachedAccess` gave under `generation` may still be used now: unexpired, and the
   * key set unchanged (a retired key's tokens are verified again).
   */
  stillValid(claims: AccessClaims, generation: unknown): boolean {
    return generation === this.keys.ring && claims.exp * 1000 > Date.now();
  }

  async verifyAccess(token: string): Promise<AccessClaims> {
    const cached = this.cachedAccess(token);
    if (cached) return cached;
    const claims = await this.#verify<AccessClaims>(token, 'access');
    const untilExpiry = claims.exp * 1000 - Date.now();
    if (untilExpiry > 0) this.#verified.set(token, claims, { ttl: untilExpiry });
    return claims;
  }

  verifyRefresh(token: string): Promise<RefreshClaims> {
    return this.#verify<RefreshClaims>(token, 'refresh');
  }

  verifyPasswordReset(token: string): Promise<ResetClaims> {
    return this.#verify<ResetClaims>(token, 'password_reset');
  }

  async #sign(
    claims: Record<string, unknown>,
    sub: string,
    ttl: number,
    jti: string = randomUUID(),
  ): Promise<IssuedToken> {
    const token = await this.keys.ring.sign(claims, {
      expiresInSeconds: ttl,
      issuer: this.config.issuer,
      subject: sub,
      jti,
    });
    return { token, jti, expiresAt: new Date((Math.floor(Date.now() / 1000) + ttl) * 1000) };
  }

  async #verify<T>(token: string, use: TokenUse): Promise<T> {
    const attempt = () => this.keys.ring.verify(token, { issuer: this.config.issuer, algorithms: ['RS256'] });
    let verified: Awaited<ReturnType<typeof attempt>>;
    try {
      verified = await attempt();
    } catch (error) {
      // A key rotated in another process: learn it once, then try again.
      if (
        error instanceof TokenError &&
        error.reason === 'unknown_key' &&
        (await this.keys.reloadIfStale())
      ) {
        try {
          verified = await attempt();
        } catch (retryError) {
          throw tokenFailure(retryError);
        }
      } else {
        throw tokenFailure(error);
      }
    }
    const payload = verified.payload as Record<string, unknown>;
    if (payload.token_use !== use || typeof payload.sub !== 'string' || typeof payload.jti !== 'string') {
      throw errors.UNAUTHORIZED('Invalid token');
    }
    return payload as T;
  }
}

function tokenFailure(error: unknown) {
  if (error instanceof TokenError && error.reason === 'expired')
    return errors.UNAUTHORIZED('Token has expired');
  return errors.UNAUTHORIZED('Invalid token');
}
