import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, beforeEach, describe, test } from 'node:test';
import type pg from 'pg';
import { updateSingleActiveKey } from '../src/auth/api-key-admin.js';
import {
  ApiKeyAuthenticator,
  type ApiKeyStore,
  type StoredApiKey,
} from '../src/auth/api-key-authenticator.js';
import { createPool } from '../src/db/database.js';
import { hashApiKey, mintApiKey } from '../src/secrets/api-keys.js';
import { createTestDatabase, type TestDatabase } from '../src/testkit/database.js';

let database: TestDatabase;
let pool: pg.Pool;

interface KeyRow {
  id: string;
  owner: string;
  key_prefix: string;
  key_hash: string;
  revoked_at: Date | null;
  expires_at: Date | null;
  last_used_at: Date | null;
}

/** A service's key table, as a service would keep it: prefix indexed, hash unique, last use. */
before(async () => {
  database = await createTestDatabase('api_key_auth');
  pool = createPool({ url: database.url, schema: 'public' });
  await pool.query(`
    CREATE TABLE keys (
      id text PRIMARY KEY,
      owner text NOT NULL,
      key_prefix text NOT NULL,
      key_hash text NOT NULL UNIQUE,
      revoked_at timestamptz,
      expires_at timestamptz,
      last_used_at timestamptz
    );
    CREATE INDEX keys_prefix ON keys (key_prefix);
  `);
});

after(async () => {
  await pool.end();
  await database.drop();
});

beforeEach(async () => {
  await pool.query('TRUNCATE keys');
});

/** The table as the authenticator's store, counting what it is asked. */
function tableStore() {
  const calls = { lookups: 0, touches: 0 };
  const store: ApiKeyStore<KeyRow> = {
    async findByPrefix(prefix) {
      calls.lookups += 1;
      const { rows } = await pool.query<KeyRow>('SELECT * FROM keys WHERE key_prefix = $1', [prefix]);
      return rows.map(
        (row): StoredApiKey<KeyRow> => ({
          id: row.id,
          hash: row.key_hash,
          revokedAt: row.revoked_at,
          expiresAt: row.expires_at,
          record: row,
        }),
      );
    },
    async touch(key, at) {
      calls.touches += 1;
      await pool.query(
        `UPDATE keys SET last_used_at = $2
          WHERE id = $1 AND (last_used_at IS NULL OR last_used_at <= $2::timestamptz - interval '1 minute')`,
        [key.id, at],
      );
    },
  };
  return { store, calls };
}

async function insertKey(options: { owner?: string; expiresAt?: Date } = {}) {
  const minted = mintApiKey('tk_live', { displayChars: 4 });
  const id = randomUUID();
  await pool.query(
    'INSERT INTO keys (id, owner, key_prefix, key_hash, expires_at) VALUES ($1, $2, $3, $4, $5)',
    [id, options.owner ?? 'tenant-a', minted.displayPrefix, minted.hash, options.expiresAt ?? null],
  );
  return { id, key: minted.key, displayPrefix: minted.displayPrefix };
}

async function lastUsedAt(id: string): Promise<Date | null> {
  const { rows } = await pool.query<{ last_used_at: Date | null }>(
    'SELECT last_used_at FROM keys WHERE id = $1',
    [id],
  );
  return rows[0]?.last_used_at ?? null;
}

function authenticator(store: ApiKeyStore<KeyRow>, now: () => number = Date.now) {
  return new ApiKeyAuthenticator<KeyRow>({
    store,
    acceptsPrefix: (prefix) => prefix === 'tk_live',
    displayChars: 4,
    now,
  });
}

describe('ApiKeyAuthenticator', () => {
  test('a stored key authenticates to its row; a wrong secret with the same prefix does not', async () => {
    const { store } = tableStore();
    const keys = authenticator(store);
    const issued = await insertKey({ owner: 'tenant-b' });
    const found = await keys.authenticate(issued.key);
    assert.equal(found?.id, issued.id);
    assert.equal(found?.record.owner, 'tenant-b');
    // Same display prefix, different secret after it: found by prefix, refused by the hash.
    const forged = `${issued.displayPrefix}${'x'.repeat(issued.key.length - issued.displayPrefix.length)}`;
    assert.equal(await keys.authenticate(forged), undefined);
    await keys.drain();
  });

  test('the lookup is by display prefix; several keys sharing one are told apart by their hash', async () => {
    const { store, calls } = tableStore();
    const keys = authenticator(store);
    const first = await insertKey();
    // A second key forced onto the first one's prefix (a 4-character prefix does collide).
    const second = mintApiKey('tk_live', { displayChars: 4 });
    const secondKey = `${first.displayPrefix}${second.key.slice(first.displayPrefix.length)}`;
    await pool.query(
      "INSERT INTO keys (id, owner, key_prefix, key_hash) VALUES ('second', 'tenant-c', $1, $2)",
      [first.displayPrefix, hashApiKey(secondKey)],
    );
    assert.equal(keys.lookupPrefix(first.key), first.displayPrefix);
    assert.equal((await keys.authenticate(first.key))?.record.owner, 'tenant-a');
    assert.equal((await keys.authenticate(secondKey))?.record.owner, 'tenant-c');
    assert.equal(calls.lookups, 2);
    await keys.drain();
  });

  test('values that cannot be a key of the service are refused without a lookup', async () => {
    const { store, calls } = tableStore();
    const keys = authenticator(store);
    const issued = await insertKey();
    const foreignPrefix = issued.key.replace(/^tk_live/, 'tk_test');
    for (const value of [
      '',
      'tk_live',
      'tk_live_',
      'tk_live_abc',
      'no-underscore',
      foreignPrefix,
      `${issued.key}!`,
      'x'.repeat(300),
    ]) {
      assert.equal(await keys.authenticate(value), undefined, value);
    }
    assert.equal(calls.lookups, 0);
  });

  test('a revoked key is refused on the very next request', async () => {
    const { store } = tableStore();
    const keys = authenticator(store);
    const issued = await insertKey();
    assert.ok(await keys.authenticate(issued.key));
    await pool.query('UPDATE keys SET revoked_at = now() WHERE id = $1', [issued.id]);
    assert.equal(await keys.authenticate(issued.key), undefined);
    await keys.drain();
  });

  test('an expired key is refused', async () => {
    const { store } = tableStore();
    let now = Date.now();
    const keys = authenticator(store, () => now);
    const issued = await insertKey({ expiresAt: new Date(now + 60_000) });
    assert.ok(await keys.authenticate(issued.key));
    now += 60_000;
    assert.equal(await keys.authenticate(issued.key), undefined);
    await keys.drain();
  });

  test('last_used_at is written at most once a minute per key (fake clock)', async () => {
    const { store, calls } = tableStore();
    const start = Date.parse('2030-01-01T00:00:00Z');
    let now = start;
    const keys = authenticator(store, () => now);
    const a = await insertKey();
    const b = await insertKey();

    for (const offset of [0, 1_000, 30_000, 59_999]) {
      now = start + offset;
      assert.ok(await keys.authenticate(a.key));
    }
    await keys.drain();
    assert.equal(calls.touches, 1);
    assert.deepEqual(await lastUsedAt(a.id), new Date(start));

    // Another key has its own minute.
    now = start + 59_999;
    assert.ok(await keys.authenticate(b.key));
    await keys.drain();
    assert.equal(calls.touches, 2);

    now = start + 60_000;
    assert.ok(await keys.authenticate(a.key));
    assert.ok(await keys.authenticate(a.key));
    await keys.drain();
    assert.equal(calls.touches, 3);
    assert.deepEqual(await lastUsedAt(a.id), new Date(start + 60_000));
  });

  test('the write never holds the request: authentication answers while the touch is still running', async () => {
    const { store } = tableStore();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let touched = false;
    const keys = authenticator({
      findByPrefix: store.findByPrefix,
      async touch() {
        await gate;
        touched = true;
      },
    });
    const issued = await insertKey();
    assert.equal((await keys.authenticate(issued.key))?.id, issued.id);
    assert.equal(touched, false);
    release();
    await keys.drain();
    assert.equal(touched, true);
  });

  test('a failed touch is reported, and the next use tries again', async () => {
    const { store } = tableStore();
    const errors: string[] = [];
    let failNext = true;
    let touches = 0;
    const keys = new ApiKeyAuthenticator<KeyRow>({
      store: {
        findByPrefix: store.findByPrefix,
        async touch() {
          touches += 1;
          if (failNext) {
            failNext = false;
            throw new Error('database unavailable');
          }
        },
      },
      acceptsPrefix: (prefix) => prefix === 'tk_live',
      displayChars: 4,
      onTouchError: (error, keyId) => errors.push(`${keyId}: ${(error as Error).message}`),
    });
    const issued = await insertKey();
    assert.ok(await keys.authenticate(issued.key));
    await keys.drain();
    assert.deepEqual(errors, [`${issued.id}: database unavailable`]);
    assert.ok(await keys.authenticate(issued.key));
    await keys.drain();
    assert.equal(touches, 2);
  });

  test("the service's own refusal (accept throws) is its answer, and the use is not recorded", async () => {
    const { store, calls } = tableStore();
    const keys = authenticator(store);
    const paused = await insertKey({ owner: 'paused-tenant' });
    await assert.rejects(
      keys.authenticate(paused.key, (row) => {
        if (row.owner === 'paused-tenant') throw new Error('tenant is paused');
      }),
      /tenant is paused/,
    );
    await keys.drain();
    assert.equal(calls.touches, 0);
    assert.equal(await lastUsedAt(paused.id), null);
    assert.ok(await keys.authenticate(paused.key, () => undefined));
    await keys.drain();
    assert.equal(calls.touches, 1);
  });

  test('a failing lookup fails the request (the service answers it as unavailable), never as a refused key', async () => {
    const keys = authenticator({
      async findByPrefix() {
        throw new Error('connection refused');
      },
    });
    await assert.rejects(keys.authenticate(mintApiKey('tk_live').key), /connection refused/);
  });
});

describe('updateSingleActiveKey', () => {
  const KEYS = { table: 'keys', prefixColumn: 'key_prefix' };

  test('changes the one active key named by id or by display prefix', async () => {
    const first = await insertKey();
    const second = await insertKey();
    assert.equal(await updateSingleActiveKey(pool, KEYS, first.id, { revoked_at: new Date() }), first.id);
    assert.equal(
      await updateSingleActiveKey(pool, KEYS, second.displayPrefix, { owner: 'renamed' }),
      second.id,
    );
    const byId = async (id: string) =>
      (await pool.query<KeyRow>('SELECT * FROM keys WHERE id = $1', [id])).rows[0] as KeyRow;
    assert.notEqual((await byId(first.id)).revoked_at, null);
    assert.equal((await byId(first.id)).owner, 'tenant-a');
    assert.equal((await byId(second.id)).revoked_at, null);
    assert.equal((await byId(second.id)).owner, 'renamed');
  });

  test('a display prefix two active keys share changes neither; a revoked key is not a match', async () => {
    const first = await insertKey();
    await pool.query(
      "INSERT INTO keys (id, owner, key_prefix, key_hash) VALUES ('twin', 'tenant-a', $1, $2)",
      [first.displayPrefix, 'f'.repeat(64)],
    );
    assert.equal(
      await updateSingleActiveKey(pool, KEYS, first.displayPrefix, { revoked_at: new Date() }),
      undefined,
    );
    const { rows } = await pool.query('SELECT 1 FROM keys WHERE revoked_at IS NOT NULL');
    assert.equal(rows.length, 0);
    // Once the twin is revoked, the prefix names one key again.
    await pool.query("UPDATE keys SET revoked_at = now() WHERE id = 'twin'");
    assert.equal(await updateSingleActiveKey(pool, KEYS, first.displayPrefix, { owner: 'b' }), first.id);
    assert.equal(await updateSingleActiveKey(pool, KEYS, 'twin', { owner: 'c' }), undefined);
    assert.equal(await updateSingleActiveKey(pool, KEYS, 'no-such-key', { owner: 'c' }), undefined);
  });

  test('identifiers are checked: a column name is never SQL', async () => {
    await assert.rejects(
      updateSingleActiveKey(pool, KEYS, 'x', { 'owner = owner; --': 1 }),
      /invalid column name/,
    );
    await assert.rejects(
      updateSingleActiveKey(pool, { table: 'keys; drop table keys', prefixColumn: 'key_prefix' }, 'x', {
        owner: 1,
      }),
      /invalid table name/,
    );
  });
});
