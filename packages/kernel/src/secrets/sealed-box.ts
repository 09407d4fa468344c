import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

const VERSION = 'v1';

/** Derives a purpose-bound 256-bit key, so one platform secret never encrypts two kinds of data alike. */
export function deriveKey(secret: Buffer | string, purpose: string): Buffer {
  return createHmac('sha256', secret).update(`trustplane:${purpose}`).digest();
}

/**
 * Encrypts a secret the platform must use later in clear (a webhook signing secret, a
 * private key) with AES-256-GCM: `v1.<iv>.<tag>.<ciphertext>`, base64url parts.
 */
export function sealSecret(key: Buffer, plaintext: string): string {
  if (key.length !== 32) throw new Error('sealSecret needs a 32-byte key');
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [VERSION, iv, cipher.getAuthTag(), ciphertext]
    .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
    .join('.');
}

export class SealedSecretError extends Error {
  override readonly name = 'SealedSecretError';
}

/** Reverses `sealSecret`; a tampered value or a wrong key is an error, never garbage. */
export function openSecret(key: Buffer, sealed: string): string {
  const [version, iv, tag, ciphertext, ...rest] = sealed.split('.');
  if (version !== VERSION || !iv || !tag || ciphertext === undefined || rest.length > 0) {
    throw new SealedSecretError('not a sealed secret');
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString(
      'utf8',
    );
  } catch {
    throw new SealedSecretError('sealed secret could not be opened (wrong key or tampered)');
  }
}
