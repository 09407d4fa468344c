import assert from 'node:assert/strict';
import { test } from 'node:test';
import { trimChar } from '../src/text/trim-char.js';

test('trimChar strips runs of one character exactly as the regex spellings did', () => {
  const samples = ['', '/', '///', 'a', '/a/', '//a//b//', 'a/b', '/a', 'a/', 'http://x.test/base///'];
  for (const text of samples) {
    assert.equal(trimChar(text, '/', 'end'), text.replace(/\/+$/, ''), `end: ${text}`);
    assert.equal(trimChar(text, '/', 'start'), text.replace(/^\/+/, ''), `start: ${text}`);
    assert.equal(trimChar(text, '/'), text.replace(/^\/+|\/+$/g, ''), `both: ${text}`);
  }
  assert.throws(() => trimChar('x', '//'), RangeError);
});

test('trimChar stays linear on a long run followed by another character', () => {
  // 200k slashes then `x`: the regex `/\/+$/` tries every start in the run (quadratic).
  const text = `${'/'.repeat(200_000)}x`;
  assert.equal(trimChar(text, '/', 'end'), text);
  assert.equal(trimChar(text, '/'), 'x');
});
