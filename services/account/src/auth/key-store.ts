import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import {
  generateSigningKey,
  importSigningKey,
  importVerificationKey,
  JwtKeyRing,
  type VerificationKey,
} from '@trustplane/kernel';
import { type Kysely, sql } from 'kysely';
import type { AccountDB } from '../db/types.js';

/** NOTIFY channel telling every process to reload its signing keys. */
export const KEYS_CHANNEL = 'account_keys';

/** AES-256-GCM for private keys at rest, keyed from the service secret (HKDF, own purpose label). */
export class KeyCipher {
  readonly #key: Buffer;
  constructor(secret: Buffer) {
    this.#key = Buffer.from(hkdfSync('sha256', secret, 'trustplane-account', 'jwt-signing-keys', 32));
  }
  encrypt(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
  }
  decrypt(encoded: string): string {
    const raw = Buffer.from(encoded, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.#key, raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  }
}

export interface ActiveKeyInfo {
  kid: string;
  publicPem: string;
  createdAt: Date;
}

async function insertNewActiveKey(db: Kysely<AccountDB>, cipher: KeyCipher): Promise<string> {
  const key = await generateSigningKey({ alg: 'RS256' });
  await db
    .insertInto('signing_keys')
    .values({
      kid: key.kid,
      alg: key.alg,
      public_pem: key.publicSpkiPem,
      private_enc: cipher.encrypt(key.privatePkcs8Pem),
      active: true,
    })
    .execute();
  return key.kid;
}

/**
 * The signing keys of the service, kept in its schema. Every process holds a JwtKeyRing built
 * from the table and reloads it when another process rotates (NOTIFY + on an unknown `kid`).
 */
export class KeyStore {
  #ring: JwtKeyRing | undefined;
  #active: ActiveKeyInfo | undefined;
  #lastReloadAt = 0;

  constructor(
    private readonly db: Kysely<AccountDB>,
    private readonly cipher: KeyCipher,
  ) {}

  get ring(): JwtKeyRing {
    if (!this.#ring) throw new Error('signing keys are not loaded');
    return this.#ring;
  }

  get active(): ActiveKeyInfo {
    if (!this.#active) throw new Error('signing keys are not loaded');
    return this.#active;
  }

  async load(): Promise<void> {
    let rows = await this.#rows();
    if (!rows.some((row) => row.active)) {
      // First boot: create the key; a concurrent process may win the unique index, then reload.
      await insertNewActiveKey(this.db, this.cipher).catch(() => undefined);
      rows = await this.#rows();
    }
    const activeRow = rows.find((row) => row.active);
    if (!activeRow) throw new Error('no active signing key');
    const active = await importSigningKey(
      this.cipher.decrypt(activeRow.private_enc),
      activeRow.public_pem,
      'RS256',
      activeRow.kid,
    );
    const previous: VerificationKey[] = [];
    for (const row of rows) {
      if (row.active) continue;
      previous.push(
        await importVerificationKey(row.public_pem, 'RS256', row.kid, row.not_after ?? undefined),
      );
    }
    this.#ring = new JwtKeyRing({ active, previous });
    this.#active = { kid: activeRow.kid, publicPem: activeRow.public_pem, createdAt: activeRow.created_at };
    this.#lastReloadAt = Date.now();
  }

  /** Reloads at most once per second: an unknown `kid` must not turn into a database storm. */
  async reloadIfStale(): Promise<boolean> {
    if (Date.now() - this.#lastReloadAt < 1000) return false;
    await this.load();
    return true;
  }

  #rows() {
    return this.db
      .selectFrom('signing_keys')
      .selectAll()
      .where((eb) => eb.or([eb('active', '=', true), eb('not_after', '>', new Date())]))
      .orderBy('created_at', 'desc')
      .execute();
  }
}

export interface RotationResult {
  key_id: string;
  algorithm: 'RS256';
  previous_key_id: string | null;
  previous_key_verifies_until: string | null;
}

/**
 * Makes a new key sign; the previous one keeps verifying for `retireAfterSeconds` (the longest
 * lifetime of a token it signed), then is forgotten. Other processes reload on the NOTIFY.
 */
export async function rotateSigningKey(
  db: Kysely<AccountDB>,
  cipher: KeyCipher,
  retireAfterSeconds: number,
): Promise<RotationResult> {
  const next = await generateSigningKey({ alg: 'RS256' });
  return db.transaction().execute(async (trx) => {
    const current = await trx
      .selectFrom('signing_keys')
      .select(['kid'])
      .where('active', '=', true)
      .forUpdate()
      .executeTakeFirst();
    const notAfter = new Date(Date.now() + retireAfterSeconds * 1000);
    if (current) {
      await trx
        .updateTable('signing_keys')
        .set({ active: false, retired_at: new Date(), not_after: notAfter })
        .where('kid', '=', current.kid)
        .execute();
    }
    await trx
      .insertInto('signing_keys')
      .values({
        kid: next.kid,
        alg: next.alg,
        public_pem: next.publicSpkiPem,
        private_enc: cipher.encrypt(next.privatePkcs8Pem),
        active: true,
      })
      .execute();
    await sql`SELECT pg_notify(${KEYS_CHANNEL}, ${next.kid})`.execute(trx);
    return {
      key_id: next.kid,
      algorithm: 'RS256' as const,
      previous_key_id: current?.kid ?? null,
      previous_key_verifies_until: current ? notAfter.toISOString() : null,
    };
  });
}
