import {
  bearerToken,
  IssuerKeysUnavailableError,
  type IssuerTokenVerifier,
  TokenError,
} from '@trustplane/kernel';
import { mediaErrors } from '../errors.js';
import type { Principal } from './principal.js';

export interface Authenticator {
  /** Verifies an `Authorization` header value; throws 401 errors for anything but a valid bearer token. */
  authenticate(authorization: string | undefined): Promise<Principal>;
  /** Like `authenticate`, but a missing header yields `undefined` (public routes). */
  authenticateOptional(authorization: string | undefined): Promise<Principal | undefined>;
}

function tokenMessage(error: TokenError): string {
  switch (error.reason) {
    case 'expired':
      return 'Access token has expired';
    case 'revoked':
      return 'Access token has been revoked';
    case 'unknown_key':
      return 'Access token is signed with an unknown key';
    case 'algorithm':
      return 'Access token algorithm is not accepted';
    case 'invalid_signature':
      return 'Access token signature is invalid';
    case 'claim':
      if (error.claim === 'token_use') return 'Only access tokens are accepted here';
      if (error.claim === 'sub') return 'Access token has no subject';
      return 'Access token claims are not acceptable';
    default:
      return 'Access token is malformed';
  }
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 ? value : null;
}

/** Turns the account service's access tokens into principals, through the kernel's issuer verifier. */
export function createAuthenticator(verifier: IssuerTokenVerifier): Authenticator {
  // The verifier hands back the same object for a token it remembers: so does this.
  const principals = new WeakMap<object, Principal>();

  async function verify(token: string): Promise<Principal> {
    let verified: Awaited<ReturnType<IssuerTokenVerifier['verify']>>;
    try {
      verified = await verifier.verify(token);
    } catch (error) {
      if (error instanceof IssuerKeysUnavailableError) throw mediaErrors.authUnavailable();
      if (error instanceof TokenError) throw mediaErrors.invalidToken(tokenMessage(error));
      throw error;
    }
    const known = principals.get(verified);
    if (known) return known;
    const { claims } = verified;
    const permissions = Array.isArray(claims.permissions)
      ? claims.permissions.filter((entry): entry is string => typeof entry === 'string')
      : [];
    const principal: Principal = {
      accountId: verified.sub,
      orgId: stringOrNull(claims.org_id),
      permissions: new Set(permissions),
      principalType: claims.principal_type === 'service' ? 'service' : 'human',
    };
    principals.set(verified, principal);
    return principal;
  }

  function bearer(authorization: string): string {
    const token = bearerToken(authorization);
    if (!token) throw mediaErrors.invalidToken('Authorization header must be "Bearer <token>"');
    return token;
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
