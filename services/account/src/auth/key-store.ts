import { createDecipheriv, hkdfSync } from 'node:crypto';
import { deriveKey, SigningKeyStore } from '@trustplane/kernel';
import type pg from 'pg';
import type { Logger } from 'pino';

/** NOTIFY channel telling every process to reload its signing keys. */
export const KEYS_CHANNEL = 'account_keys';

/** The key the signing keys' private halves are sealed with (`sealSecret`), from the platform secret. */
export function signingKeySealingKey(secret: Buffer): Buffer {
  return deriveKey(secret, 'account:jwt-signing-keys');
}

/**
 * Opens a private key stored before the kernel's sealed format: AES-256-GCM under an HKDF key,
 * `iv (12) || tag (16) || ciphertext` in base64. The store reseals such a row the first time it
 * reads it, so this only runs for keys written by earlier versions.
 */
export function legacySigningKeyOpener(secret: Buffer): (stored: string) => string {
  const key = Buffer.from(hkdfSync('sha256', secret, 'trustplane-account', 'jwt-signing-keys', 32));
  return (stored) => {
    const raw = Buffer.from(stored, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  };
}

/** The service's RS256 signing keys (`signing_keys`), on the kernel's sealed key store. */
export function createSigningKeyStore(pool: pg.Pool, secret: Buffer, logger: Logger): SigningKeyStore {
  return new SigningKeyStore({
    pool,
    table: 'signing_keys',
    sealingKey: signingKeySealingKey(secret),
    algorithm: 'RS256',
    channel: KEYS_CHANNEL,
    logger,
    openLegacy: legacySigningKeyOpener(secret),
  });
}
