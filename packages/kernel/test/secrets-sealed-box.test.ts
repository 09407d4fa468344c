import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { deriveKey, openSecret, SealedSecretError, sealSecret } from '../src/secrets/sealed-box.js';

describe('sealed secrets', () => {
  const key = deriveKey('platform-secret-of-at-least-32-characters', 'webhook-secrets');

  test('round trip, with a fresh nonce each time', () => {
    const first = sealSecret(key, 'whsec_receiver');
    const second = sealSecret(key, 'whsec_receiver');
    assert.notEqual(first, second);
    assert.ok(!first.includes('whsec_receiver'));
    assert.equal(openSecret(key, first), 'whsec_receiver');
    assert.equal(openSecret(key, second), 'whsec_receiver');
  });

  test('keys are bound to their purpose', () => {
    const other = deriveKey('platform-secret-of-at-least-32-characters', 'private-keys');
    assert.notDeepEqual(key, other);
    assert.throws(() => openSecret(other, sealSecret(key, 'x')), SealedSecretError);
  });

  test('tampering and garbage are refused, never decrypted to garbage', () => {
    const sealed = sealSecret(key, 'secret');
    const parts = sealed.split('.');
    const flipped = Buffer.from(parts[3]!, 'base64url');
    flipped[0] = flipped[0]! ^ 1;
    parts[3] = flipped.toString('base64url');
    assert.throws(() => openSecret(key, parts.join('.')), SealedSecretError);
    assert.throws(() => openSecret(key, 'plain-text'), SealedSecretError);
    assert.throws(() => openSecret(key, `${sealed}.extra`), SealedSecretError);
    assert.throws(() => sealSecret(Buffer.alloc(16), 'x'), /32-byte/);
  });
});
