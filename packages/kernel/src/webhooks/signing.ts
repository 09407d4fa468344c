import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * How the signature header value is written. Every format signs `${timestamp}.${body}`
 * with HMAC-SHA256; the timestamp also travels in `X-Trustplane-Timestamp`.
 * - `v1`: `t=<timestamp>,v1=<hex>` (the default; self-contained)
 * - `hex`: `<hex>`
 * - `sha256`: `sha256=<hex>`
 */
export type SignatureFormat = 'v1' | 'hex' | 'sha256';

export const SIGNATURE_FORMATS: readonly SignatureFormat[] = ['v1', 'hex', 'sha256'];

/** HMAC-SHA256, hex, over `${timestampSeconds}.${body}`. */
export function signWebhook(secret: string, body: string, timestampSeconds: number): string {
  return createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex');
}

/** `t=<timestampSeconds>,v1=<hex>` */
export function webhookSignatureHeader(secret: string, body: string, timestampSeconds: number): string {
  return formatSignature('v1', signWebhook(secret, body, timestampSeconds), timestampSeconds);
}

export function formatSignature(
  format: SignatureFormat,
  signatureHex: string,
  timestampSeconds: number,
): string {
  switch (format) {
    case 'v1':
      return `t=${timestampSeconds},v1=${signatureHex}`;
    case 'hex':
      return signatureHex;
    case 'sha256':
      return `sha256=${signatureHex}`;
  }
}

export interface VerifyOptions {
  /** Largest accepted distance between the signed timestamp and `now`. Default 300. */
  toleranceSeconds?: number;
  now?: Date;
}

/**
 * Checks a `t=…,v1=…` header (several `v1` entries are accepted, for secret rotation) in
 * constant time, and refuses a timestamp further than the tolerance from now, so a captured
 * request cannot be replayed later.
 */
export function verifyWebhookSignature(
  secret: string,
  body: string,
  header: string | undefined,
  options: VerifyOptions = {},
): boolean {
  if (!header) return false;
  let timestamp: number | undefined;
  const candidates: string[] = [];
  for (const part of header.split(',')) {
    const separator = part.indexOf('=');
    if (separator < 0) continue;
    const key = part.slice(0, separator).trim();
    const value = part.slice(separator + 1).trim();
    if (key === 't' && /^\d{1,15}$/.test(value)) timestamp = Number(value);
    else if (key === 'v1') candidates.push(value);
  }
  if (timestamp === undefined || candidates.length === 0) return false;
  const nowSeconds = Math.floor((options.now ?? new Date()).getTime() / 1000);
  if (Math.abs(nowSeconds - timestamp) > (options.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(signWebhook(secret, body, timestamp), 'hex');
  return candidates.some((candidate) => {
    if (!/^[0-9a-f]+$/i.test(candidate)) return false;
    const given = Buffer.from(candidate, 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
