import type { FastifyRequest } from 'fastify';

/**
 * The caller a route's auth hook resolved, kept beside the request. Not declared on
 * `FastifyRequest`: every service shares one TypeScript program, and each has its own principal
 * type (a `principal` property merged from two services would have to be one type).
 */
export interface PrincipalAccessor<P> {
  /** Records the caller; called by the `onRequest` hook that checked the credential. */
  set(request: FastifyRequest, principal: P): void;
  /** The caller; throws the service's 401 when no hook set one (a route outside its auth scope). */
  of(request: FastifyRequest): P;
  /** The caller on routes where credentials are optional: undefined when anonymous. */
  find(request: FastifyRequest): P | undefined;
}

/**
 * One accessor per kind of caller of a service: `const principals = createPrincipalAccessor<Principal>(() => errors.UNAUTHORIZED())`,
 * then `principals.set(request, …)` in the auth hook and `principals.of(request)` in handlers.
 */
export function createPrincipalAccessor<P>(unauthenticated: () => Error): PrincipalAccessor<P> {
  // A symbol-keyed property of the request, private to this accessor: cheaper on every
  // authenticated request than a WeakMap entry (no identity hash, no ephemeron for the collector).
  const key = Symbol('principal');
  type Holder = { [key]?: P };
  return {
    set(request, principal) {
      (request as unknown as Holder)[key] = principal;
    },
    of(request) {
      const principal = (request as unknown as Holder)[key];
      if (principal === undefined) throw unauthenticated();
      return principal;
    },
    find(request) {
      return (request as unknown as Holder)[key];
    },
  };
}
