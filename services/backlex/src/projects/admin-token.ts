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
