import { createPrincipalAccessor } from '@trustplane/kernel';
import type { FastifyRequest } from 'fastify';
import type { Authenticator } from '../auth/authenticator.js';
import { hasPermission, type MediaPermission, type Principal } from '../auth/principal.js';
import { mediaErrors } from '../errors.js';

const principals = createPrincipalAccessor<Principal>(() => mediaErrors.unauthenticated());

export type AuthHooks = ReturnType<typeof createAuthHooks>;

/**
 * Route `onRequest` hooks: credentials are checked before the body is read. Each route names the
 * permission it asserts (401 without a valid token, 403 without the permission).
 */
export function createAuthHooks(authenticator: Authenticator) {
  return {
    require(permission: MediaPermission) {
      return async (request: FastifyRequest) => {
        const principal = await authenticator.authenticate(request.headers.authorization);
        if (!hasPermission(principal, permission)) throw mediaErrors.forbidden(permission);
        principals.set(request, principal);
      };
    },
    /** Anonymous callers pass (public reads); a token, when sent, must be valid and hold `permission`. */
    optional(permission?: MediaPermission) {
      return async (request: FastifyRequest) => {
        const principal = await authenticator.authenticateOptional(request.headers.authorization);
        if (principal && permission && !hasPermission(principal, permission)) {
          throw mediaErrors.forbidden(permission);
        }
        if (principal) principals.set(request, principal);
      };
    },
  };
}

export const principalOf = principals.of;
/** The caller on public routes: undefined when anonymous. */
export const optionalPrincipalOf = principals.find;
