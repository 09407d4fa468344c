import type { FastifyReply, FastifyRequest } from 'fastify';
import type { UserRow } from '../db/users-repository.js';
import { errors } from '../errors.js';
import type { Kyc } from '../kyc.js';

export const SESSION_COOKIE = 'kyc_session';

declare module 'fastify' {
  interface FastifyRequest {
    operator?: UserRow;
  }
}

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
    if (!user) throw errors.unauthenticated();
    request.operator = user;
  };
}

export function operatorOf(request: FastifyRequest): UserRow {
  if (!request.operator) throw errors.unauthenticated();
  return request.operator;
}

/** The verification token from `X-Verification-Token` or `?token=`. */
export function verificationToken(request: FastifyRequest): string | undefined {
  const header = request.headers['x-verification-token'];
  const fromHeader = Array.isArray(header) ? header[0] : header;
  if (fromHeader) return fromHeader;
  const query = request.query as { token?: unknown } | undefined;
  return typeof query?.token === 'string' && query.token ? query.token : undefined;
}
