import { TokenError, verifyJwt } from '@trustplane/kernel';
import { mediaErrors } from '../errors.js';
import { type KeySource, KeySourceUnavailableError } from './key-source.js';
import type { Principal } from './principal.js';

export interface Authenticator {
  /** Verifies an `Authorization` header value; throws 401 errors for anything but a valid bearer token. */
  authenticate(authorization: string | undefined): Promise<Principal>;
  /** Like `authenticate`, but a missing header yields `undefined` (public routes). */
  authenticateOptional(authorization: string | undefined): Promise<Principal | undefined>;
}

function headerKid(token: string): string | undefined {
  const [encoded] = token.split('.', 1);
  if (!encoded) return undefined;
  try {
    const header = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8')) as { kid?: unknown };
    return typeof header.kid === 'string' && header.kid.length > 0 && header.kid.length <= 200
      ? header.kid
      : undefined;
  } catch {
    return undefined;
  }
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 ? value : null;
}

const TOKEN_MESSAGES: Record<string, string> = {
  expired: 'Access token has expired',
  unknown_key: 'Access token is signed with an unknown key',
  algorithm: 'Access token algorithm is not accepted',
  invalid_signature: 'Access token signature is invalid',
  claim: 'Access token claims are not acceptable',
  malformed: 'Access token is malformed',
};

export function createAuthenticator(keys: KeySource, options: { issuer?: string }): Authenticator {
  async function verify(token: string): Promise<Principal> {
    const kid = headerKid(token);
    if (!kid) throw mediaErrors.invalidToken(TOKEN_MESSAGES.malformed!);
    let payload: Record<string, unknown>;
    let candidates: Awaited<ReturnType<KeySource['keysFor']>>;
    try {
      candidates = await keys.keysFor(kid);
    } catch (error) {
      if (error instanceof KeySourceUnavailableError) throw mediaErrors.authUnavailable();
      throw error;
    }
    try {
      const verified = await verifyJwt(token, candidates, {
        // The seed does not fix account's `iss`; it is checked only when configured (JWT_ISSUER).
        issuer: options.issuer as string,
        algorithms: ['RS256'],
      });
      payload = verified.payload;
    } catch (error) {
      if (error instanceof TokenError) throw mediaErrors.invalidToken(TOKEN_MESSAGES[error.reason]!);
      throw error;
    }
    const sub = stringOrNull(payload.sub);
    if (!sub) throw mediaErrors.invalidToken('Access token has no subject');
    const permissions = Array.isArray(payload.permissions)
      ? payload.permissions.filter((entry): entry is string => typeof entry === 'string')
      : [];
    return {
      accountId: sub,
      orgId: stringOrNull(payload.org_id),
      permissions: new Set(permissions),
      principalType: payload.principal_type === 'service' ? 'service' : 'human',
    };
  }

  function bearer(authorization: string): string {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!match?.[1]) throw mediaErrors.invalidToken('Authorization header must be "Bearer <token>"');
    return match[1];
  }

  return {
    async authenticate(authorization) {
      if (!authorization) throw mediaErrors.unauthenticated();
      return verify(bearer(authorization));
    },
    async authenticateOptional(authorization) {
      if (!authorization) return undefined;
      return verify(bearer(authorization));
    },
  };
}
