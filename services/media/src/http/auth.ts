import { isServiceError } from '@trustplane/kernel';
import type { FastifyRequest } from 'fastify';
import type { Authenticator } from '../auth/authenticator.js';
import { hasPermission, type MediaPermission, type Principal } from '../auth/principal.js';
import { mediaErrors } from '../errors.js';

// Kept beside the request rather than declared on FastifyRequest: several services share one
// TypeScript program, and each has its own Principal type.
const principals = new WeakMap<FastifyRequest, Principal>();

export type AuthHooks = ReturnType<typeof createAuthHooks>;

/** How much of a refused body is read (and dropped) before the connection is cut, and for how long. */
const REFUSED_BODY_LINGER_BYTES = 1024 * 1024;
const REFUSED_BODY_LINGER_MS = 2000;

/**
 * A refused request's body is not worth reading, but closing at once would make the kernel answer
 * a reset to a client still sending, and the client could lose the 401 in it. So the body is
 * drained (never buffered) while the answer goes out, and the connection is cut after 1 MiB or
 * 2 s, long after the client could read the answer: an unauthenticated 60 MB upload costs the
 * server about 1 MiB of reading, not 60 MB.
 */
function drainThenCut(request: FastifyRequest): void {
  const raw = request.raw;
  const length = raw.headers['content-length'];
  const declaresBody =
    raw.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
  if (!declaresBody || raw.complete || raw.readableEnded) return;
  let drained = 0;
  const cut = () => raw.socket?.destroy();
  const timer = setTimeout(cut, REFUSED_BODY_LINGER_MS);
  timer.unref();
  raw.on('data', (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > REFUSED_BODY_LINGER_BYTES) cut();
  });
  raw.once('end', () => clearTimeout(timer));
  raw.once('close', () => clearTimeout(timer));
}

function refused(request: FastifyRequest, error: unknown): unknown {
  if (isServiceError(error)) drainThenCut(request);
  return error;
}

/**
 * Route `onRequest` hooks: credentials are checked before the body is read. Each route names the
 * permission it asserts (401 without a valid token, 403 without the permission).
 */
export function createAuthHooks(authenticator: Authenticator) {
  return {
    require(permission: MediaPermission) {
      return async (request: FastifyRequest) => {
        try {
          const principal = await authenticator.authenticate(request.headers.authorization);
          if (!hasPermission(principal, permission)) throw mediaErrors.forbidden(permission);
          principals.set(request, principal);
        } catch (error) {
          throw refused(request, error);
        }
      };
    },
    /** Anonymous callers pass (public reads); a token, when sent, must be valid and hold `permission`. */
    optional(permission?: MediaPermission) {
      return async (request: FastifyRequest) => {
        try {
          const principal = await authenticator.authenticateOptional(request.headers.authorization);
          if (principal && permission && !hasPermission(principal, permission)) {
            throw mediaErrors.forbidden(permission);
          }
          if (principal) principals.set(request, principal);
        } catch (error) {
          throw refused(request, error);
        }
      };
    },
  };
}

export function principalOf(request: FastifyRequest): Principal {
  const principal = principals.get(request);
  if (!principal) throw mediaErrors.unauthenticated();
  return principal;
}

/** The caller on public routes: undefined when anonymous. */
export function optionalPrincipalOf(request: FastifyRequest): Principal | undefined {
  return principals.get(request);
}
