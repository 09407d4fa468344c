import { createPrincipalAccessor } from '@trustplane/kernel';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiKeyRow } from '../db/api-keys-repository.js';
import type { UserRow } from '../db/users-repository.js';
import { errors } from '../errors.js';
import type { Kyc } from '../kyc.js';
import { isUuid } from './schemas.js';

export const SESSION_COOKIE = 'kyc_session';

/** The operator of a dashboard request (session cookie). */
export const operators = createPrincipalAccessor<UserRow>(() => errors.UNAUTHENTICATED());
/** The tenant's secret key of a server-to-server request. */
export const secretKeys = createPrincipalAccessor<ApiKeyRow>(() => errors.API_KEY_MISSING());

/** The raw session token of a validly signed `kyc_session` cookie. */
export function sessionToken(request: FastifyRequest): string | undefined {
  const cookie = request.cookies[SESSION_COOKIE];
  if (!cookie) return undefined;
  const unsigned = request.unsignCookie(cookie);
  return unsigned.valid && unsigned.value ? unsigned.value : undefined;
}

/** onRequest hook of the operator scope: runs before the body is parsed, so 401 comes first. */
export function requireOperator(kyc: Kyc) {
  return async (request: FastifyRequest, _reply: FastifyReply) => {
    const user = await kyc.auth.authenticate(sessionToken(request));
    if (!user) throw errors.UNAUTHENTICATED();
    operators.set(request, user);
  };
}

export const operatorOf = operators.of;

/** The verification token from `X-Verification-Token` or `?token=`. */
export function verificationToken(request: FastifyRequest): string | undefined {
  const header = request.headers['x-verification-token'];
  const fromHeader = Array.isArray(header) ? header[0] : header;
  if (fromHeader) return fromHeader;
  const query = request.query as { token?: unknown } | undefined;
  return typeof query?.token === 'string' && query.token ? query.token : undefined;
}

/**
 * onRequest hook of the end-user routes that take a body: a session token sent in
 * `X-Verification-Token` or `?token=` (the hosted page always sends the header) is checked before
 * the body is read — 404 unknown session, 401 wrong token, 410 expired. The seed also lets the
 * token ride only in the body; such a request is read first, under the route's small body limit,
 * and its handler checks that token. `required`: the route has no body token to fall back on.
 */
export function verificationTokenFirst(kyc: Kyc, options: { required?: boolean } = {}) {
  return async (request: FastifyRequest) => {
    const token = verificationToken(request);
    if (token === undefined && !options.required) return;
    const { sessionId } = request.params as { sessionId?: string };
    if (!sessionId || !isUuid(sessionId)) throw errors.VERIFICATION_SESSION_NOT_FOUND();
    await kyc.sessions.authorize(sessionId, token);
  };
}
