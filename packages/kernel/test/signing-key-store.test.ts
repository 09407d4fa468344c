import assert from 'node:assert/strict';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { after, before, beforeEach, describe, test } from 'node:test';
import { exportPKCS8, exportSPKI, generateKeyPair } from 'jose';
import type pg from 'pg';
import pino from 'pino';
import { SigningKeyStore, type SigningKeyStoreOptions } from '../src/auth/signing-key-store.js';
import { createPool } from '../src/db/database.js';
import { deriveKey, openSecret } from '../src/secrets/sealed-box.js';
import { createTestDatabase, type TestDatabase } from '../src/testkit/database.js';

const logger = pino({ level: process.env.LOG_LEVEL ?? 'silent' });
const SEALING_KEY = deriveKey('platform-secret-of-at-least-32-characters', 'test:signing-keys');
const CHANNEL = 'test_signing_keys';

let database: TestDatabase;
let pool: pg.Pool;
const stores: SigningKeyStore[] = [];

before(async () => {
  database = await createTestDatabase('signing_keys');
  pool = createPool({ url: database.url, schema: 'public' });
  await pool.query(`
    CREATE TABLE signing_keys (
      kid text PRIMARY KEY,
      alg text NOT NULL,
      public_pem text NOT NULL,
      private_enc text NOT NULL,
      active boolean NOT NULL DEFAULT false,
      created_at timestamptz NOT NULL DEFAULT now(),
      retired_at timestamptz,
      not_after timestamptz
    );
    CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (active) WHERE active;
  `);
});

after(async () => {
  await Promise.all(stores.map((store) => store.stop()));
  await pool.end();
  await database.drop();
});

beforeEach(async () => {
  await pool.query('TRUNCATE signing_keys');
});

function store(options: Partial<SigningKeyStoreOptions> = {}): SigningKeyStore {
  const created = new SigningKeyStore({
    pool,
    table: 'signing_keys',
    sealingKey: SEALING_KEY,
    algorithm: 'RS256',
    channel: CHANNEL,
    logger,
    ...options,
  });
  stores.push(created);
  return created;
}

/** An older at-rest format: AES-256-GCM, iv || tag || ciphertext in base64, another key. */
const legacyKey = randomBytes(32);
function legacySeal(plain: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', legacyKey, iv);
  const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
}
function legacyOpen(encoded: string): string {
  const raw = Buffer.from(encoded, 'base64');
  const decipher = createDecipheriv('aes-256-gcm', legacyKey, raw.subarray(0, 12));
  decipher.setAuthTag(raw.subarray(12, 28));
  return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
}

async function rows() {
  const { rows } = await pool.query<{ kid: string; private_enc: string; active: boolean }>(
    'SELECT kid, private_enc, active FROM signing_keys ORDER BY created_at',
  );
  return rows;
}

async function within(ms: number, check: () => boolean): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  return check();
}

describe('SigningKeyStore', () => {
  test('the first load creates an active key, sealed at rest with sealSecret', async () => {
    const keys = store();
    await keys.load();
    const [row] = await rows();
    assert.equal(row?.kid, keys.active.kid);
    assert.match(row?.private_enc ?? '', /^v1\./);
    assert.ok(!row?.private_enc.includes('PRIVATE KEY'));
    assert.match(openSecret(SEALING_KEY, row?.private_enc ?? ''), /^-----BEGIN PRIVATE KEY-----/);
    const token = await keys.ring.sign({ hello: 'world' }, { expiresInSeconds: 60, issuer: 'test' });
    const verified = await keys.ring.verify(token, { issuer: 'test', algorithms: ['RS256'] });
    assert.equal(verified.payload.hello, 'world');
  });

  test('a second process loads the same key; a rotation reaches it by NOTIFY and old tokens still verify', async () => {
    const first = store();
    const second = store();
    await first.start();
    await second.start();
    assert.equal(second.active.kid, first.active.kid);
    const oldToken = await first.ring.sign({}, { expiresInSeconds: 600, issuer: 'test' });
    const rotation = await first.rotate(600);
    assert.equal(rotation.previousKeyId, second.active.kid);
    assert.ok(await within(5000, () => second.active.kid === rotation.keyId));
    await second.ring.verify(oldToken, { issuer: 'test', algorithms: ['RS256'] });
    const newToken = await second.ring.sign({}, { expiresInSeconds: 60, issuer: 'test' });
    await first.load();
    await first.ring.verify(newToken, { issuer: 'test', algorithms: ['RS256'] });
    // Listening stores would follow the next tests' rotations (and recreate keys they truncate).
    await Promise.all([first.stop(), second.stop()]);
  });

  test('a rotation with no grace stops the previous key verifying', async () => {
    const keys = store();
    await keys.load();
    const oldToken = await keys.ring.sign({}, { expiresInSeconds: 600, issuer: 'test' });
    await keys.rotate(0);
    await keys.load();
    await assert.rejects(keys.ring.verify(oldToken, { issuer: 'test', algorithms: ['RS256'] }));
  });

  test('a key stored in a legacy format still loads, and is resealed with sealSecret', async () => {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    const pem = await exportPKCS8(privateKey);
    await pool.query(
      "INSERT INTO signing_keys (kid, alg, public_pem, private_enc, active) VALUES ('legacy', 'RS256', $1, $2, true)",
      [await exportSPKI(publicKey), legacySeal(pem)],
    );
    await assert.rejects(store().load(), /not a sealed secret/);
    const keys = store({ openLegacy: legacyOpen });
    await keys.load();
    assert.equal(keys.active.kid, 'legacy');
    const [row] = await rows();
    assert.match(row?.private_enc ?? '', /^v1\./);
    assert.equal(openSecret(SEALING_KEY, row?.private_enc ?? ''), pem);
    // Now readable without the legacy opener.
    await store().load();
  });

  test('a private key sealed with another key is an error, not a new key', async () => {
    await store().load();
    const other = store({
      sealingKey: deriveKey('another-platform-secret-of-32-characters', 'test:signing-keys'),
    });
    await assert.rejects(other.load(), /could not be opened/);
    assert.equal((await rows()).length, 1);
  });
});
