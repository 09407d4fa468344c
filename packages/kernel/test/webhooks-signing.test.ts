import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, test } from 'node:test';
import {
  formatSignature,
  signWebhook,
  verifyWebhookSignature,
  webhookSignatureHeader,
} from '../src/webhooks/signing.js';

const secret = 'whsec_test_0123456789abcdef';
const body = JSON.stringify({ event: 'verification.completed', data: { id: 'ses_1', status: 'approved' } });
const now = new Date('2030-01-01T00:00:00Z');
const ts = Math.floor(now.getTime() / 1000);

describe('webhook signing', () => {
  test('signs HMAC-SHA256 hex over "<timestamp>.<body>"', () => {
    const expected = createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex');
    assert.equal(signWebhook(secret, body, ts), expected);
    assert.equal(webhookSignatureHeader(secret, body, ts), `t=${ts},v1=${expected}`);
  });

  test('round trip: a fresh signature verifies', () => {
    const header = webhookSignatureHeader(secret, body, ts);
    assert.equal(verifyWebhookSignature(secret, body, header, { now }), true);
  });

  test('refuses a tampered body, timestamp or secret', () => {
    const header = webhookSignatureHeader(secret, body, ts);
    assert.equal(
      verifyWebhookSignature(secret, body.replace('approved', 'rejected'), header, { now }),
      false,
    );
    assert.equal(
      verifyWebhookSignature(secret, body, header.replace(`t=${ts}`, `t=${ts + 1}`), { now }),
      false,
    );
    assert.equal(verifyWebhookSignature('another-secret-value', body, header, { now }), false);
    const flipped = header.slice(0, -1) + (header.endsWith('0') ? '1' : '0');
    assert.equal(verifyWebhookSignature(secret, body, flipped, { now }), false);
  });

  test('refuses stale and far-future timestamps, within a configurable tolerance', () => {
    const old = webhookSignatureHeader(secret, body, ts - 301);
    assert.equal(verifyWebhookSignature(secret, body, old, { now }), false);
    assert.equal(verifyWebhookSignature(secret, body, old, { now, toleranceSeconds: 600 }), true);
    const future = webhookSignatureHeader(secret, body, ts + 301);
    assert.equal(verifyWebhookSignature(secret, body, future, { now }), false);
    const edge = webhookSignatureHeader(secret, body, ts - 300);
    assert.equal(verifyWebhookSignature(secret, body, edge, { now }), true);
  });

  test('refuses missing and malformed headers', () => {
    const v1 = signWebhook(secret, body, ts);
    for (const header of [
      undefined,
      '',
      'garbage',
      `v1=${v1}`,
      `t=${ts}`,
      `t=abc,v1=${v1}`,
      `t=${ts},v1=zz${v1}`,
    ]) {
      assert.equal(verifyWebhookSignature(secret, body, header, { now }), false, String(header));
    }
    assert.equal(verifyWebhookSignature(secret, body, `t=${ts},v1=${v1.slice(0, 10)}`, { now }), false);
  });

  test('accepts any of several v1 signatures (secret rotation)', () => {
    const old = signWebhook('previous-secret-value', body, ts);
    const current = signWebhook(secret, body, ts);
    assert.equal(verifyWebhookSignature(secret, body, `t=${ts},v1=${old},v1=${current}`, { now }), true);
  });

  test('formats the header value per delivery', () => {
    assert.equal(formatSignature('v1', 'abc', 12), 't=12,v1=abc');
    assert.equal(formatSignature('hex', 'abc', 12), 'abc');
    assert.equal(formatSignature('sha256', 'abc', 12), 'sha256=abc');
  });
});
