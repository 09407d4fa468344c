import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * A project's data-API admin token: `bxk_` + 32 random bytes (base64url). Only its sha-256 is
 * stored; it opens only its own project (and that project's branches), because the data API looks
 * the project up by the id in the path and compares the presented token with that row's hash.
 */
export function mintAdminToken(): { token: string; hash: Buffer } {
  const token = `bxk_${randomBytes(32).toString('base64url')}`;
  return { token, hash: hashAdminToken(token) };
}

export function hashAdminToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** Constant-time: the presented token's hash against the stored one (both 32 bytes). */
export function adminTokenMatches(presented: string, storedHash: Buffer): boolean {
  const hash = hashAdminToken(presented);
  return storedHash.length === hash.length && timingSafeEqual(hash, storedHash);
}

/**
 * Remembers the last token that matched a stored hash, per hash object: a later request with the
 * same token is compared byte for byte (constant time) instead of hashed again. Keyed by the hash
 * Buffer itself (a WeakMap): a rotation stores a new hash, so the old token is never remembered
 * for it; the cached access state holding the hash going away takes the entry with it.
 */
const verified = new WeakMap<Buffer, Buffer>();

/** `adminTokenMatches`, skipping the sha-256 when this very token matched this hash before. */
export function adminTokenMatchesCached(presented: string, storedHash: Buffer): boolean {
  const bytes = Buffer.from(presented, 'utf8');
  const known = verified.get(storedHash);
  if (known && known.length === bytes.length && timingSafeEqual(known, bytes)) return true;
  if (!adminTokenMatches(presented, storedHash)) return false;
  verified.set(storedHash, bytes);
  return true;
}
