import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from 'node:crypto';
import { openSecret, sealSecret } from '@trustplane/kernel';
import canonicalize from 'canonicalize';
import type { AttestationRepository } from '../db/attestation-repository.js';
import { newId } from '../db/ids.js';
import { errors } from '../errors.js';

/** The signed fields of a key manifest, as GET /api/v1/attestation-key serves them. */
export interface KeyManifest {
  kid: string;
  publicKey: string;
  alg: 'RSA-OAEP-SHA256';
  issuedAt: string;
  expiresAt: string;
  signedBy: string;
  signature: string;
}

/** Guidance for clients: rotate well before; old kids keep opening vaults. */
const MANIFEST_LIFETIME_DAYS = 90;

/** `sha256:<hex>` of a public key's DER SPKI: what the Android client pins. */
export function fingerprint(publicKey: KeyObject): string {
  return `sha256:${createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex')}`;
}

/** RFC 8785 bytes of every field but `signature`. */
export function signedBytes(manifest: Omit<KeyManifest, 'signature'> | KeyManifest): Buffer {
  const { signature: _ignored, ...fields } = manifest as KeyManifest;
  const text = canonicalize(fields);
  if (text === undefined) throw new Error('manifest cannot be canonicalized');
  return Buffer.from(text, 'utf8');
}

export function verifyManifest(manifest: KeyManifest, rootPublicKey: KeyObject): boolean {
  return verify(null, signedBytes(manifest), rootPublicKey, Buffer.from(manifest.signature, 'base64'));
}

/**
 * The attestation-key store: an Ed25519 root (made by the first rotation) signs manifests of
 * RSA-3072 keys the Android client seals claim vaults to. Private keys are sealed at rest with a
 * key derived from the platform secret; every kid ever issued still opens its vaults.
 */
export function createAttestationKeys(repository: AttestationRepository, sealingKey: Buffer) {
  const opened = new Map<string, KeyObject>();

  return {
    async rotate(): Promise<{ manifest: KeyManifest; rootPublicKey: string; created: boolean }> {
      let root = await repository.root();
      let created = false;
      if (!root) {
        const pair = generateKeyPairSync('ed25519');
        root = await repository.ensureRoot({
          publicKeyPem: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
          privateKeySealed: sealSecret(
            sealingKey,
            pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
          ),
        });
        created = true;
      }
      const rootPrivate = createPrivateKey(openSecret(sealingKey, root.private_key_sealed));
      const rootPublic = createPublicKey(root.public_key_pem);
      const pair = generateKeyPairSync('rsa', { modulusLength: 3072 });
      const issuedAt = new Date();
      const fields: Omit<KeyManifest, 'signature'> = {
        kid: newId('vk'),
        publicKey: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
        alg: 'RSA-OAEP-SHA256',
        issuedAt: issuedAt.toISOString(),
        expiresAt: new Date(issuedAt.getTime() + MANIFEST_LIFETIME_DAYS * 86_400_000).toISOString(),
        signedBy: fingerprint(rootPublic),
      };
      const manifest: KeyManifest = {
        ...fields,
        signature: sign(null, signedBytes(fields), rootPrivate).toString('base64'),
      };
      await repository.insertKey({
        kid: manifest.kid,
        publicKeyPem: manifest.publicKey,
        privateKeySealed: sealSecret(
          sealingKey,
          pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        ),
        manifest: manifest as unknown as Record<string, unknown>,
      });
      return { manifest, rootPublicKey: root.public_key_pem, created };
    },

    /** The newest manifest, checked against the root: 503 before the first rotation, 502 when unreadable. */
    async current(): Promise<KeyManifest> {
      let row: Awaited<ReturnType<AttestationRepository['current']>>;
      let root: Awaited<ReturnType<AttestationRepository['root']>>;
      try {
        [row, root] = await Promise.all([repository.current(), repository.root()]);
      } catch {
        throw errors.keyStoreUnreadable();
      }
      if (!row) throw errors.attestationNotProvisioned();
      try {
        const manifest = row.manifest as unknown as KeyManifest;
        if (!root || !verifyManifest(manifest, createPublicKey(root.public_key_pem))) throw new Error('bad');
        return manifest;
      } catch {
        throw errors.keyStoreUnreadable();
      }
    },

    /** The private key of `kid`, or undefined for a kid never issued. */
    async privateKey(kid: string): Promise<KeyObject | undefined> {
      const cached = opened.get(kid);
      if (cached) return cached;
      const row = await repository.byKid(kid);
      if (!row) return undefined;
      const key = createPrivateKey(openSecret(sealingKey, row.private_key_sealed));
      opened.set(kid, key);
      return key;
    },
  };
}

export type AttestationKeys = ReturnType<typeof createAttestationKeys>;
