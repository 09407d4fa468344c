import { createHmac, timingSafeEqual } from 'node:crypto';

/** Everything a local presigned URL binds; `sig` covers all of it. */
export interface SignedObjectParams {
  method: 'PUT' | 'GET';
  key: string;
  /** Unix seconds after which the URL is refused. */
  expires: number;
  contentType?: string;
  contentLength?: number;
  sha256?: string;
  downloadName?: string;
  /** PUT only: refused once an object exists at the key. */
  createOnly?: boolean;
}

export type SignatureFailure = 'missing_signature' | 'invalid_signature' | 'method_mismatch' | 'expired';

export type SignatureCheck =
  | { ok: true; params: SignedObjectParams }
  | { ok: false; failure: SignatureFailure };

const CANONICAL_VERSION = 'trustplane-object-url-v1';
const SIGNATURE_HEX = /^[0-9a-f]{64}$/;
const UNSIGNED_INTEGER = /^\d{1,15}$/;

/**
 * A JSON array is unambiguous whatever a value contains (a download name may hold any
 * character), and `null` keeps "absent" apart from "empty". The scope binds the signature to
 * one store, so a URL signed for one service is refused by another sharing the secret.
 */
export function canonicalString(scope: string, params: SignedObjectParams): string {
  return JSON.stringify([
    CANONICAL_VERSION,
    scope,
    params.method,
    params.key,
    params.expires,
    params.contentType ?? null,
    params.contentLength ?? null,
    params.sha256 ?? null,
    params.downloadName ?? null,
    // Appended only when set, so URLs without it keep the signatures they always had.
    ...(params.createOnly ? ['create-only'] : []),
  ]);
}

export function signObjectParams(secret: Buffer | string, scope: string, params: SignedObjectParams): string {
  return createHmac('sha256', secret).update(canonicalString(scope, params)).digest('hex');
}

/** Query string of a presigned URL, in the order the URL shows them. */
export function signedQuery(params: SignedObjectParams, signature: string): string {
  const query = new URLSearchParams({ method: params.method, expires: String(params.expires) });
  if (params.contentType !== undefined) query.set('ct', params.contentType);
  if (params.contentLength !== undefined) query.set('len', String(params.contentLength));
  if (params.sha256 !== undefined) query.set('sha256', params.sha256);
  if (params.downloadName !== undefined) query.set('dn', params.downloadName);
  if (params.createOnly) query.set('once', '1');
  query.set('sig', signature);
  return query.toString();
}

type QueryValue = string | string[] | undefined;

function single(query: Record<string, QueryValue>, name: string): string | undefined | null {
  const value = query[name];
  if (Array.isArray(value)) return null; // a repeated parameter is never what we signed
  return value;
}

function parseParams(key: string, query: Record<string, QueryValue>): SignedObjectParams | undefined {
  const method = single(query, 'method');
  const expires = single(query, 'expires');
  const contentType = single(query, 'ct');
  const contentLength = single(query, 'len');
  const sha256 = single(query, 'sha256');
  const downloadName = single(query, 'dn');
  const once = single(query, 'once');
  if (method !== 'PUT' && method !== 'GET') return undefined;
  if (once !== undefined && once !== '1') return undefined;
  if (typeof expires !== 'string' || !UNSIGNED_INTEGER.test(expires)) return undefined;
  if (contentType === null || sha256 === null || downloadName === null || contentLength === null)
    return undefined;
  if (contentLength !== undefined && !UNSIGNED_INTEGER.test(contentLength)) return undefined;
  return {
    method,
    key,
    expires: Number(expires),
    contentType,
    contentLength: contentLength === undefined ? undefined : Number(contentLength),
    sha256,
    downloadName,
    ...(once === '1' ? { createOnly: true } : {}),
  };
}

/**
 * Checks, in this order: a signature is present, it matches every bound parameter (compared
 * in constant time), the request's method is the signed one (HEAD counts as GET), and the URL
 * has not expired.
 */
export function verifySignedQuery(input: {
  secret: Buffer | string;
  scope: string;
  requestMethod: string;
  key: string;
  query: Record<string, QueryValue>;
  nowMs: number;
}): SignatureCheck {
  const signature = single(input.query, 'sig');
  if (signature === undefined || signature === '') return { ok: false, failure: 'missing_signature' };
  if (signature === null || !SIGNATURE_HEX.test(signature))
    return { ok: false, failure: 'invalid_signature' };
  const params = parseParams(input.key, input.query);
  if (!params) return { ok: false, failure: 'invalid_signature' };
  const expected = Buffer.from(signObjectParams(input.secret, input.scope, params), 'hex');
  if (!timingSafeEqual(expected, Buffer.from(signature, 'hex')))
    return { ok: false, failure: 'invalid_signature' };
  const method = input.requestMethod === 'HEAD' ? 'GET' : input.requestMethod;
  if (method !== params.method) return { ok: false, failure: 'method_mismatch' };
  if (input.nowMs >= params.expires * 1000) return { ok: false, failure: 'expired' };
  return { ok: true, params };
}
