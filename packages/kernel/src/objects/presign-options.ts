import type { PresignGetOptions, PresignPutOptions } from './object-store.js';

const CONTENT_TYPE = /^[A-Za-z0-9!#$&^_.+-]+\/[A-Za-z0-9!#$&^_.+-]+(?:[ \t]*;[ -~]*)?$/;
const SHA256_HEX = /^[0-9a-fA-F]{64}$/;
const MAX_CONTENT_TYPE_LENGTH = 255;
const MAX_FILENAME_CHARACTERS = 200;

export function assertContentType(contentType: string): void {
  if (
    typeof contentType !== 'string' ||
    contentType.length > MAX_CONTENT_TYPE_LENGTH ||
    !CONTENT_TYPE.test(contentType)
  ) {
    throw new RangeError(`invalid content type: ${JSON.stringify(String(contentType).slice(0, 64))}`);
  }
}

/** Lower-case hex, or a RangeError. */
export function normalizeSha256(sha256: string): string {
  if (typeof sha256 !== 'string' || !SHA256_HEX.test(sha256))
    throw new RangeError('sha256 must be 64 hex characters');
  return sha256.toLowerCase();
}

export function assertByteCount(value: number, name: string): void {
  if (!Number.isSafeInteger(value) || value < 0)
    throw new RangeError(`${name} must be a non-negative integer`);
}

export function validatePresignPut(options: PresignPutOptions): PresignPutOptions {
  assertContentType(options.contentType);
  assertByteCount(options.contentLength, 'contentLength');
  if (!Number.isFinite(options.expiresInSeconds))
    throw new RangeError('expiresInSeconds must be a finite number');
  return {
    contentType: options.contentType,
    contentLength: options.contentLength,
    expiresInSeconds: options.expiresInSeconds,
    sha256: options.sha256 === undefined ? undefined : normalizeSha256(options.sha256),
    createOnly: options.createOnly === true,
  };
}

export function validatePresignGet(options: PresignGetOptions): PresignGetOptions {
  if (!Number.isFinite(options.expiresInSeconds))
    throw new RangeError('expiresInSeconds must be a finite number');
  if (options.contentType !== undefined) assertContentType(options.contentType);
  return {
    expiresInSeconds: options.expiresInSeconds,
    contentType: options.contentType,
    downloadName: options.downloadName === undefined ? undefined : safeFilename(options.downloadName),
    sha256: options.sha256 === undefined ? undefined : normalizeSha256(options.sha256),
  };
}

/**
 * A filename that cannot carry a path, a header break, or a bidi trick (`evil\u202Efdp.exe`):
 * control and format characters, separators and characters Windows refuses become `_`.
 */
export function safeFilename(name: string): string {
  const cleaned = String(name)
    .normalize('NFC')
    .replace(/[\p{Cc}\p{Cf}"\\/:*?<>|]/gu, '_')
    .replace(/^[.\s]+/, '')
    .trim();
  const bounded = Array.from(cleaned).slice(0, MAX_FILENAME_CHARACTERS).join('');
  return bounded || 'download';
}

function encodeRfc5987(value: string): string {
  return encodeURIComponent(value).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** `attachment` with an ASCII fallback and the exact UTF-8 name (RFC 6266). */
export function attachmentDisposition(name: string): string {
  const safe = safeFilename(name);
  const ascii = safe.replace(/[^ -~]/g, '_').replace(/%/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeRfc5987(safe)}`;
}
