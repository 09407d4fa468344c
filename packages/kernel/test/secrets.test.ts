import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import diagnosticsChannel from 'node:diagnostics_channel';
import { describe, test } from 'node:test';
import {
  constantTimeEqual,
  hashApiKey,
  hashPassword,
  hmacSha256Hex,
  mintApiKey,
  needsRehash,
  PASSWORD_HASH_PARAMETERS,
  PASSWORD_VERIFY_CHANNEL,
  parseApiKey,
  randomToken,
  sha256Hex,
  toBase62,
  verifyPassword,
} from '../src/secrets/index.js';

describe('passwords', () => {
  test('hashes with argon2id at the exported parameters and verifies the same password', async () => {
    const hash = await hashPassword('correct horse battery staple');
    const { memoryCost, timeCost, parallelism } = PASSWORD_HASH_PARAMETERS;
    assert.ok(hash.startsWith(`$argon2id$v=19$m=${memoryCost},t=${timeCost},p=${parallelism}$`), hash);
    assert.equal(await verifyPassword(hash, 'correct horse battery staple'), true);
  });

  test('salts every hash', async () => {
    const [first, second] = await Promise.all([hashPassword('same'), hashPassword('same')]);
    assert.notEqual(first, second);
  });

  test('a wrong password does not verify', async () => {
    const hash = await hashPassword('correct horse battery staple');
    assert.equal(await verifyPassword(hash, 'correct horse battery stapl'), false);
    assert.equal(await verifyPassword(hash, ''), false);
  });

  test('a malformed or foreign hash verifies as false instead of throwing', async () => {
    const valid = await hashPassword('pw');
    for (const hash of [
      '',
      'not-a-hash',
      '$argon2id$',
      valid.slice(0, -10),
      valid.replace('$argon2id$', '$argon2xx$'),
      '$2b$10$abcdefghijklmnopqrstuuO4ZbKCnVxzXmOAiqoFHCcHHUCn6HW3e',
      '5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8',
    ]) {
      assert.equal(await verifyPassword(hash, 'pw'), false, hash);
    }
    assert.equal(await verifyPassword(undefined as unknown as string, 'pw'), false);
  });

  test('composed and decomposed spellings of a password are the same password', async () => {
    const hash = await hashPassword('caf\u00e9');
    assert.equal(await verifyPassword(hash, 'cafe\u0301'), true);
  });

  test('refuses to hash an oversized password, and never verifies one', async () => {
    await assert.rejects(hashPassword('x'.repeat(5000)), RangeError);
    const hash = await hashPassword('pw');
    assert.equal(await verifyPassword(hash, 'x'.repeat(5000)), false);
  });

  test('needsRehash flags hashes made with other parameters or not argon2id', async () => {
    const current = await hashPassword('pw');
    assert.equal(needsRehash(current), false);
    const cheap = await hashPassword('pw', { memoryCost: 19_456, timeCost: 2, parallelism: 1 });
    assert.equal(needsRehash(cheap), true);
    assert.equal(await verifyPassword(cheap, 'pw'), true);
    assert.equal(needsRehash('garbage'), true);
  });

  test('each argon2 verification is published on the diagnostics channel, without the secret', async () => {
    const hash = await hashPassword('pw', { memoryCost: 4096, timeCost: 1, parallelism: 1 });
    const messages: unknown[] = [];
    const listener = (message: unknown) => messages.push(message);
    diagnosticsChannel.subscribe(PASSWORD_VERIFY_CHANNEL, listener);
    try {
      await verifyPassword(hash, 'pw');
      await verifyPassword(hash, 'wrong');
      // Refused before any hashing: nothing to count.
      await verifyPassword('not-a-hash', 'pw');
    } finally {
      diagnosticsChannel.unsubscribe(PASSWORD_VERIFY_CHANNEL, listener);
    }
    assert.deepEqual(messages, [{}, {}]);
  });
});

describe('api keys', () => {
  test('mints prefix_ + 43 base62 characters, with its sha-256 hash and a display prefix', () => {
    const minted = mintApiKey('sk_live');
    assert.match(minted.key, /^sk_live_[0-9A-Za-z]{43}$/);
    assert.equal(minted.hash, createHash('sha256').update(minted.key).digest('hex'));
    assert.equal(minted.hash, hashApiKey(minted.key));
    assert.match(minted.hash, /^[0-9a-f]{64}$/);
    assert.equal(minted.displayPrefix, minted.key.slice(0, 'sk_live_'.length + 4));
    assert.deepEqual(parseApiKey(minted.key), { prefix: 'sk_live', secret: minted.key.slice(8) });
  });

  test('keys are unique and use the whole alphabet', () => {
    const keys = Array.from({ length: 2000 }, () => mintApiKey('ak_test').key);
    assert.equal(new Set(keys).size, keys.length);
    const characters = new Set(keys.flatMap((key) => [...key.slice('ak_test_'.length)]));
    assert.equal(characters.size, 62);
  });

  test('more bytes make longer keys; fewer than 32 and odd prefixes are refused', () => {
    assert.match(mintApiKey('tm_pilot', { bytes: 48 }).key, /^tm_pilot_[0-9A-Za-z]{65}$/);
    assert.equal(mintApiKey('tm_pilot', { displayChars: 2 }).displayPrefix.length, 'tm_pilot_'.length + 2);
    assert.throws(() => mintApiKey('sk', { bytes: 16 }), RangeError);
    for (const prefix of ['', '_sk', 'sk_', 'sk live', 'sk-live', '1sk']) {
      assert.throws(() => mintApiKey(prefix), TypeError, prefix);
    }
  });

  test('base62 keeps a fixed width for a byte length', () => {
    assert.equal(toBase62(new Uint8Array(32)), '0'.repeat(43));
    assert.equal(toBase62(new Uint8Array(32).fill(255)).length, 43);
    assert.equal(toBase62(Uint8Array.from([61])), '0z');
  });

  test('parseApiKey refuses what mintApiKey cannot produce', () => {
    assert.equal(parseApiKey('nounderscore'), undefined);
    assert.equal(parseApiKey('sk_live_abc-def'), undefined);
    assert.equal(parseApiKey('_abc'), undefined);
  });
});

describe('constant-time helpers', () => {
  test('constantTimeEqual compares content, whatever the lengths or types', () => {
    assert.equal(constantTimeEqual('secret-value', 'secret-value'), true);
    assert.equal(constantTimeEqual('secret-value', 'secret-valuf'), false);
    assert.equal(constantTimeEqual('short', 'a much longer value'), false);
    assert.equal(constantTimeEqual('', ''), true);
    assert.equal(constantTimeEqual('', 'x'), false);
    assert.equal(constantTimeEqual(Buffer.from('abc'), 'abc'), true);
    assert.equal(constantTimeEqual(Buffer.from([1, 2, 3]), Buffer.from([1, 2, 4])), false);
  });

  test('randomToken is url-safe and sized in bytes', () => {
    const token = randomToken(32);
    assert.match(token, /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(randomToken(), randomToken());
    assert.equal(Buffer.from(randomToken(16), 'base64url').length, 16);
    assert.throws(() => randomToken(0), RangeError);
  });

  test('sha256Hex and hmacSha256Hex match the published vectors', () => {
    assert.equal(sha256Hex('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    // RFC 4231, test case 2.
    assert.equal(
      hmacSha256Hex('Jefe', 'what do ya want for nothing?'),
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
  });
});
