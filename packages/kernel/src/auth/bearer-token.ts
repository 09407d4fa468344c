// `\s+` and `\S+` are disjoint and `\s*$` only trails them: at most one way to match, so the
// match is linear in the header's length (the ReDoS scan checks it).
const BEARER = /^Bearer\s+(\S+)\s*$/i;

/**
 * The token of an `Authorization: Bearer <token>` header (scheme case-insensitive, trailing
 * white space ignored); undefined when the value has another shape. Absence is the caller's to
 * judge: each service words a missing credential its own way.
 */
export function bearerToken(authorization: string): string | undefined {
  return BEARER.exec(authorization)?.[1];
}

/** One value of a header that may arrive repeated (`x-api-key`, `x-service-api-key`): the first. */
export function firstHeaderValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
