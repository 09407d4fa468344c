import { InvalidObjectKeyError } from './object-store.js';

export const MAX_OBJECT_KEY_LENGTH = 512;
/** Filesystems cap one name at 255 bytes; this leaves room for the metadata suffix. */
export const MAX_OBJECT_KEY_SEGMENT_LENGTH = 200;

const KEY_CHARACTERS = /^[A-Za-z0-9._/-]+$/;

/** Local disk keeps in-flight writes here; a key may not live under it. */
export const STAGING_DIR_NAME = '.staging';
/** Local disk keeps an object's metadata beside it under this suffix; a key may not end with it. */
export const METADATA_SUFFIX = '.meta.json';

/**
 * One rule set for every backend, so a key that works on local disk works on S3 and back.
 * Besides the character set and lengths, `.`/`..`/empty segments are refused (they would alias or escape
 * a directory), as are the names local disk reserves for its own files.
 */
export function assertValidObjectKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0) throw new InvalidObjectKeyError(String(key), 'empty');
  if (key.length > MAX_OBJECT_KEY_LENGTH) {
    throw new InvalidObjectKeyError(key.slice(0, 64), `longer than ${MAX_OBJECT_KEY_LENGTH} characters`);
  }
  if (!KEY_CHARACTERS.test(key)) throw new InvalidObjectKeyError(key, 'only A-Z a-z 0-9 . _ / - are allowed');
  const segments = key.split('/');
  for (const segment of segments) {
    if (segment === '' || segment === '.' || segment === '..') {
      throw new InvalidObjectKeyError(key, 'empty, "." and ".." segments are not allowed');
    }
    if (segment.length > MAX_OBJECT_KEY_SEGMENT_LENGTH) {
      throw new InvalidObjectKeyError(
        key,
        `a segment is longer than ${MAX_OBJECT_KEY_SEGMENT_LENGTH} characters`,
      );
    }
  }
  if (segments[0] === STAGING_DIR_NAME)
    throw new InvalidObjectKeyError(key, `"${STAGING_DIR_NAME}" is reserved`);
  if (key.endsWith(METADATA_SUFFIX)) throw new InvalidObjectKeyError(key, `"${METADATA_SUFFIX}" is reserved`);
}

export function isValidObjectKey(key: string): boolean {
  try {
    assertValidObjectKey(key);
    return true;
  } catch {
    return false;
  }
}

/** A key prefix for listing or bulk deletion: a valid key followed by `/`. */
export function assertValidObjectPrefix(prefix: string): void {
  if (typeof prefix !== 'string' || !prefix.endsWith('/')) {
    throw new InvalidObjectKeyError(String(prefix), 'a prefix must end with "/"');
  }
  assertValidObjectKey(prefix.slice(0, -1));
}
