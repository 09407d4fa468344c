import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { PasswordLogin } from '../src/auth/password-login.js';
import { createPool } from '../src/db/database.js';
import { migrate } from '../src/db/migrate.js';
import { BruteForceGuard } from '../src/ratelimit/brute-force-guard.js';
import { hashPassword } from '../src/secrets/passwords.js';
import { createTestDatabase, type TestDatabase } from '../src/testkit/database.js';
import { countPasswordHashes } from '../src/testkit/password-hashes.js';

const MIGRATIONS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../migrations');
// Cheap argon2id for the test; the mechanism is the same at any cost.
const PARAMETERS = { memoryCost: 1024, timeCost: 1, parallelism: 1 };

let database: TestDatabase;
let pool: pg.Pool;
let guardCounter = 0;

before(async () => {
  database = await createTestDatabase('password_login');
  await migrate(database.url, 'platform', MIGRATIONS);
  pool = createPool({ url: database.url, schema: 'platform' });
});

after(async () => {
  await pool.end();
  await database.drop();
});

/** A guard on PostgreSQL, the store several processes share. */
function guard(maxFailures = 5) {
  return new BruteForceGuard({
    keyPrefix: `test.login.${++guardCounter}`,
    store: { kind: 'postgres', pool },
    maxFailures,
    baseDelayMs: 0,
  });
}

interface Account {
  id: string;
}

describe('PasswordLogin', () => {
  const login = new PasswordLogin({ parameters: PARAMETERS });
  let aliceHash: string;

  before(async () => {
    aliceHash = await login.hash('correct horse battery staple');
  });

  test('the right password is verified, and the guard starts over', async () => {
    const accountGuard = guard();
    const { result, hashes: verifications } = await countPasswordHashes(() =>
      login.check<Account>({
        guards: [{ name: 'account', guard: accountGuard, key: 'alice' }],
        find: async () => ({ account: { id: 'alice' }, passwordHash: aliceHash }),
        password: 'correct horse battery staple',
      }),
    );
    assert.deepEqual(result, { outcome: 'verified', account: { id: 'alice' }, needsRehash: false });
    assert.equal(verifications, 1);
    assert.equal((await accountGuard.check('alice')).failures, 0);
  });

  test('an unknown account runs one argon2 verify against the decoy hash, and fails', async () => {
    const accountGuard = guard();
    const { result, hashes: verifications } = await countPasswordHashes(() =>
      login.check<Account>({
        guards: [{ name: 'account', guard: accountGuard, key: 'nobody' }],
        find: async () => undefined,
        password: 'correct horse battery staple',
      }),
    );
    assert.deepEqual(result, { outcome: 'failed', account: undefined });
    assert.equal(verifications, 1);
    assert.equal((await accountGuard.check('nobody')).failures, 1);
  });

  test('an account without a password runs the decoy too, and fails naming the account', async () => {
    const { result, hashes: verifications } = await countPasswordHashes(() =>
      login.check<Account>({
        guards: [{ name: 'account', guard: guard(), key: 'sso-only' }],
        find: async () => ({ account: { id: 'sso-only' }, passwordHash: null }),
        password: 'anything at all',
      }),
    );
    assert.deepEqual(result, { outcome: 'failed', account: { id: 'sso-only' } });
    assert.equal(verifications, 1);
  });

  test('a wrong password fails and stays counted on every guard', async () => {
    const accountGuard = guard();
    const ipGuard = guard();
    const result = await login.check<Account>({
      guards: [
        { name: 'account', guard: accountGuard, key: 'alice' },
        { name: 'ip', guard: ipGuard, key: '192.0.2.1', onSuccess: 'release' },
      ],
      find: async () => ({ account: { id: 'alice' }, passwordHash: aliceHash }),
      password: 'wrong',
    });
    assert.deepEqual(result, { outcome: 'failed', account: { id: 'alice' } });
    assert.equal((await accountGuard.check('alice')).failures, 1);
    assert.equal((await ipGuard.check('192.0.2.1')).failures, 1);
  });

  test('on success a shared guard only gets its attempt back; the account guard is reset', async () => {
    const accountGuard = guard();
    const ipGuard = guard();
    const guards = [
      { name: 'account', guard: accountGuard, key: 'alice' },
      { name: 'ip', guard: ipGuard, key: '192.0.2.2', onSuccess: 'release' as const },
    ];
    const find = async () => ({ account: { id: 'alice' }, passwordHash: aliceHash });
    await login.check<Account>({ guards, find, password: 'wrong' });
    const ok = await login.check<Account>({ guards, find, password: 'correct horse battery staple' });
    assert.equal(ok.outcome, 'verified');
    assert.equal((await accountGuard.check('alice')).failures, 0);
    // The earlier failure from this IP still counts; the successful attempt does not.
    assert.equal((await ipGuard.check('192.0.2.2')).failures, 1);
  });

  test('a locked guard refuses without checking the password, and the other guard keeps nothing', async () => {
    const accountGuard = guard(2);
    const ipGuard = guard(100);
    const guards = [
      { name: 'account', guard: accountGuard, key: 'alice' },
      { name: 'ip', guard: ipGuard, key: '192.0.2.3', onSuccess: 'release' as const },
    ];
    const find = async () => ({ account: { id: 'alice' }, passwordHash: aliceHash });
    await login.check<Account>({ guards, find, password: 'wrong' });
    await login.check<Account>({ guards, find, password: 'wrong' });
    const { result, hashes: verifications } = await countPasswordHashes(() =>
      login.check<Account>({ guards, find, password: 'correct horse battery staple' }),
    );
    assert.equal(result.outcome, 'locked');
    assert.equal(result.outcome === 'locked' && result.guard, 'account');
    assert.ok(result.outcome === 'locked' && result.retryAfterSeconds > 0);
    assert.equal(verifications, 0);
    assert.equal((await ipGuard.check('192.0.2.3')).failures, 2);
  });

  test('reserve is atomic under parallel guesses: 60 at once, at most maxFailures reach argon2', async () => {
    const accountGuard = guard(5);
    const { result, hashes: verifications } = await countPasswordHashes(() =>
      Promise.all(
        Array.from({ length: 60 }, () =>
          login.check<Account>({
            guards: [{ name: 'account', guard: accountGuard, key: 'victim' }],
            find: async () => ({ account: { id: 'victim' }, passwordHash: aliceHash }),
            password: 'guess',
          }),
        ),
      ),
    );
    assert.equal(verifications, 5);
    assert.equal(result.filter((outcome) => outcome.outcome === 'failed').length, 5);
    assert.equal(result.filter((outcome) => outcome.outcome === 'locked').length, 55);
    assert.equal((await accountGuard.check('victim')).allowed, false);
  });

  test('a lookup that throws gives every attempt back and rethrows', async () => {
    const accountGuard = guard();
    await assert.rejects(
      login.check<Account>({
        guards: [{ name: 'account', guard: accountGuard, key: 'alice' }],
        find: async () => {
          throw new Error('database unavailable');
        },
        password: 'whatever',
      }),
      /database unavailable/,
    );
    assert.equal((await accountGuard.check('alice')).failures, 0);
  });

  test('a hash made with other parameters asks for a rehash', async () => {
    const older = await hashPassword('correct horse battery staple', { ...PARAMETERS, timeCost: 2 });
    const result = await login.check<Account>({
      guards: [{ name: 'account', guard: guard(), key: 'alice' }],
      find: async () => ({ account: { id: 'alice' }, passwordHash: older }),
      password: 'correct horse battery staple',
    });
    assert.equal(result.outcome === 'verified' && result.needsRehash, true);
  });
});
