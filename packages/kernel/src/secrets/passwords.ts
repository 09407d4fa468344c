import diagnosticsChannel from 'node:diagnostics_channel';
import { type Algorithm, hash, parseOptions, type Version, verify } from '@node-rs/argon2';

/**
 * `node:diagnostics_channel` name published once per `verifyPassword` call that runs argon2 (no
 * payload: never the password or hash). Lets metrics, and tests proving that a guard keeps guesses
 * away from the hash, count the expensive verifications.
 */
export const PASSWORD_VERIFY_CHANNEL = 'trustplane:password-verify';
const verifications = diagnosticsChannel.channel(PASSWORD_VERIFY_CHANNEL);

// Ambient const enums cannot be inlined under isolatedModules: 2 is Algorithm.Argon2id, 1 is Version.V0x13.
const ARGON2ID = 2 as Algorithm;
const ARGON2_VERSION_13 = 1 as Version;

export interface PasswordHashParameters {
  /** Memory per hash, in KiB. */
  memoryCost: number;
  /** Passes over memory. */
  timeCost: number;
  /** Lanes. */
  parallelism: number;
}

/**
 * argon2id at 64 MiB, 4 passes, 1 lane: above OWASP's minimum (19 MiB, t=2) and close to
 * RFC 9106's second recommendation (64 MiB, t=3). Measured on the 2-core reference machine
 * (Node 20, @node-rs/argon2 2.2): median 64–67 ms per verify, against 8 ms for the OWASP minimum.
 * One lane keeps a hash on one core; libuv's 4-thread pool bounds concurrent memory at 256 MiB.
 */
export const PASSWORD_HASH_MEMORY_KIB = 65_536;
export const PASSWORD_HASH_TIME_COST = 4;
export const PASSWORD_HASH_PARALLELISM = 1;

export const PASSWORD_HASH_PARAMETERS: Readonly<PasswordHashParameters> = Object.freeze({
  memoryCost: PASSWORD_HASH_MEMORY_KIB,
  timeCost: PASSWORD_HASH_TIME_COST,
  parallelism: PASSWORD_HASH_PARALLELISM,
});

/** Longer inputs are refused: they buy no security and make every attempt cost more. */
export const MAX_PASSWORD_BYTES = 4096;

// NFKC so the same password typed on different keyboards/OSes (composed vs decomposed accents) matches.
function normalizePassword(plain: string): string {
  return plain.normalize('NFKC');
}

/** Hashes a password with argon2id into a PHC string (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`). */
export async function hashPassword(
  plain: string,
  parameters: PasswordHashParameters = PASSWORD_HASH_PARAMETERS,
): Promise<string> {
  const normalized = normalizePassword(plain);
  if (Buffer.byteLength(normalized) > MAX_PASSWORD_BYTES) {
    throw new RangeError(`password longer than ${MAX_PASSWORD_BYTES} bytes`);
  }
  return hash(normalized, { algorithm: ARGON2ID, ...parameters });
}

/** True when `plain` matches `passwordHash`; false for a wrong password and for any malformed or foreign hash. */
export async function verifyPassword(passwordHash: string, plain: string): Promise<boolean> {
  if (typeof passwordHash !== 'string' || typeof plain !== 'string' || !passwordHash.startsWith('$argon2')) {
    return false;
  }
  const normalized = normalizePassword(plain);
  if (Buffer.byteLength(normalized) > MAX_PASSWORD_BYTES) return false;
  if (verifications.hasSubscribers) verifications.publish({});
  try {
    return await verify(passwordHash, normalized);
  } catch {
    return false;
  }
}

/**
 * True when `passwordHash` was made with other parameters than `parameters` (or is not argon2id),
 * so the caller should rehash the password it has just verified.
 */
export function needsRehash(
  passwordHash: string,
  parameters: PasswordHashParameters = PASSWORD_HASH_PARAMETERS,
): boolean {
  try {
    const current = parseOptions(passwordHash);
    return (
      current.algorithm !== ARGON2ID ||
      current.version !== ARGON2_VERSION_13 ||
      current.memoryCost !== parameters.memoryCost ||
      current.timeCost !== parameters.timeCost ||
      current.parallelism !== parameters.parallelism
    );
  } catch {
    return true;
  }
}
