import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

type BinaryLike = string | Buffer | Uint8Array;

export interface MintedApiKey {
  /** The plaintext key: shown to its owner once, never stored. */
  key: string;
  /** Hex SHA-256 of `key`: what is stored and looked up. */
  hash: string;
  /** `prefix_` plus the first characters of the secret, safe to store and show in a UI. */
  displayPrefix: string;
}

export interface MintApiKeyOptions {
  /** Random bytes in the secret part; at least 32. */
  bytes?: number;
  /** Secret characters kept in `displayPrefix`. */
  displayChars?: number;
}

const BASE62_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const API_KEY_PREFIX = /^[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)*$/;
const MIN_API_KEY_BYTES = 32;

/**
 * Base62 of `bytes`, left-padded to the length any input of that size needs, so every key
 * of one size has one length. Base62 has no `_` or `-`: a double click selects the whole key,
 * and the last `_` always separates prefix from secret.
 */
export function toBase62(bytes: Uint8Array): string {
  const width = Math.ceil((bytes.length * 8) / Math.log2(62));
  let value = BigInt(`0x0${Buffer.from(bytes).toString('hex')}`);
  let out = '';
  while (value > 0n) {
    out = BASE62_ALPHABET[Number(value % 62n)] + out;
    value /= 62n;
  }
  return out.padStart(width, BASE62_ALPHABET[0]);
}

/** Mints `prefix_<base62 secret>` (e.g. `sk_live_…`) with its storable hash and display prefix. */
export function mintApiKey(prefix: string, options: MintApiKeyOptions = {}): MintedApiKey {
  const bytes = options.bytes ?? MIN_API_KEY_BYTES;
  const displayChars = options.displayChars ?? 4;
  if (!API_KEY_PREFIX.test(prefix)) {
    throw new TypeError(
      'API key prefix must be letters and digits in `_`-separated words, starting with a letter',
    );
  }
  if (!Number.isInteger(bytes) || bytes < MIN_API_KEY_BYTES) {
    throw new RangeError(`API keys need at least ${MIN_API_KEY_BYTES} random bytes`);
  }
  const secret = toBase62(randomBytes(bytes));
  const key = `${prefix}_${secret}`;
  return { key, hash: hashApiKey(key), displayPrefix: `${prefix}_${secret.slice(0, displayChars)}` };
}

/** Splits a key minted by `mintApiKey` into its prefix and secret; undefined when it has no such shape. */
export function parseApiKey(key: string): { prefix: string; secret: string } | undefined {
  const separator = key.lastIndexOf('_');
  if (separator <= 0) return undefined;
  const prefix = key.slice(0, separator);
  const secret = key.slice(separator + 1);
  if (!API_KEY_PREFIX.test(prefix) || !/^[0-9A-Za-z]+$/.test(secret)) return undefined;
  return { prefix, secret };
}

/** The value stored for an API key: hex SHA-256 of the full key (keys are high-entropy, so no salt or KDF). */
export function hashApiKey(key: string): string {
  return sha256Hex(key);
}

/**
 * Equality that takes the same time wherever the inputs differ. Both sides are hashed first, so
 * inputs of different lengths are compared without revealing the length of the expected value.
 */
export function constantTimeEqual(a: BinaryLike, b: BinaryLike): boolean {
  const digestA = createHash('sha256').update(a).digest();
  const digestB = createHash('sha256').update(b).digest();
  return timingSafeEqual(digestA, digestB);
}

/** A URL-safe random token (base64url) of `bytes` random bytes. */
export function randomToken(bytes = 32): string {
  if (!Number.isInteger(bytes) || bytes < 1) throw new RangeError('randomToken needs a positive byte count');
  return randomBytes(bytes).toString('base64url');
}

export function sha256Hex(data: BinaryLike): string {
  return createHash('sha256').update(data).digest('hex');
}

export function hmacSha256Hex(secret: BinaryLike, data: BinaryLike): string {
  return createHmac('sha256', secret).update(data).digest('hex');
}
