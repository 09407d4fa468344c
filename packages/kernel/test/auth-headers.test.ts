import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { FastifyRequest } from 'fastify';
import { bearerToken, firstHeaderValue } from '../src/auth/bearer-token.js';
import { createPrincipalAccessor } from '../src/auth/principal-accessor.js';

describe('bearerToken', () => {
  test('takes the token of `Bearer <token>`, scheme in any case, trailing white space ignored', () => {
    assert.equal(bearerToken('Bearer abc.def-ghi'), 'abc.def-ghi');
    assert.equal(bearerToken('bearer abc'), 'abc');
    assert.equal(bearerToken('BEARER \t abc \t '), 'abc');
  });

  test('anything else is no bearer token', () => {
    for (const value of [
      '',
      'Bearer',
      'Bearer ',
      'Bearerabc',
      'Bearer a b',
      'Basic abc',
      ' Bearer abc',
      'Token abc',
    ]) {
      assert.equal(bearerToken(value), undefined, JSON.stringify(value));
    }
  });

  test('a long hostile header is answered (the match is linear)', () => {
    const hostile = `Bearer ${'a'.repeat(100_000)}${' '.repeat(100_000)}!`;
    assert.equal(bearerToken(hostile), undefined);
    assert.equal(bearerToken(`Bearer ${' '.repeat(100_000)}`), undefined);
  });

  test('firstHeaderValue takes the first of a repeated header', () => {
    assert.equal(firstHeaderValue(['a', 'b']), 'a');
    assert.equal(firstHeaderValue('a'), 'a');
    assert.equal(firstHeaderValue(undefined), undefined);
  });
});

describe('createPrincipalAccessor', () => {
  class Unauthenticated extends Error {}
  const request = () => ({}) as FastifyRequest;

  test('the principal set by the auth hook is the one the handler reads, per request', () => {
    const principals = createPrincipalAccessor<{ id: string }>(() => new Unauthenticated());
    const first = request();
    const second = request();
    principals.set(first, { id: 'a' });
    principals.set(second, { id: 'b' });
    assert.equal(principals.of(first).id, 'a');
    assert.equal(principals.of(second).id, 'b');
    assert.equal(principals.find(second)?.id, 'b');
  });

  test('a request no hook authenticated gets the service error from `of` and undefined from `find`', () => {
    const principals = createPrincipalAccessor<{ id: string }>(() => new Unauthenticated());
    assert.throws(() => principals.of(request()), Unauthenticated);
    assert.equal(principals.find(request()), undefined);
  });

  test('two accessors do not see each other’s principals', () => {
    const operators = createPrincipalAccessor<{ id: string }>(() => new Unauthenticated());
    const keys = createPrincipalAccessor<{ keyId: string }>(() => new Unauthenticated());
    const shared = request();
    operators.set(shared, { id: 'op' });
    assert.equal(keys.find(shared), undefined);
  });
});
