import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SLUG_PATTERN, slugify } from '../src/organizations/slug.js';

test('slugify: lower-case ASCII words joined by single dashes, none at either end', () => {
  const cases: [string, string][] = [
    ['Acme Corp', 'acme-corp'],
    ['  --Acme   Corp!!  ', 'acme-corp'],
    ['Ünïcödé Örg Nàme', 'unicode-org-name'],
    ['日本語', 'org'],
    ['---', 'org'],
    ['a-b', 'a-b'],
  ];
  for (const [name, slug] of cases) {
    assert.equal(slugify(name), slug, name);
    assert.match(slugify(name), SLUG_PATTERN);
  }
});

test('slugify cuts at 60 characters and never ends on the dash the cut leaves', () => {
  const name = `${'a'.repeat(59)} bcd`;
  assert.equal(slugify(name), 'a'.repeat(59));
  assert.equal(slugify('x'.repeat(80)), 'x'.repeat(60));
});

test('slugify stays linear on a long run of separators', () => {
  assert.equal(slugify(`${'-'.repeat(100_000)}x${' '.repeat(100_000)}`), 'x');
});
