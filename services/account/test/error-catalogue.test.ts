import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { seedPath } from '@trustplane/kernel/testkit';
import { parse } from 'yaml';
import { ERROR_CODES } from '../src/errors.js';

test('the error catalogue is exactly the seed error-code table', () => {
  const seed = parse(readFileSync(seedPath('account'), 'utf8')) as {
    info: { overview_cards: { title: string; content: string }[] };
  };
  const card = seed.info.overview_cards.find((entry) => entry.title === 'Error code table');
  assert.ok(card);
  const table = new Map<number, number>();
  for (const match of card.content.matchAll(/\|\s*`(\d{4})`\s*\|\s*(\d{3})\s*\|/g)) {
    table.set(Number(match[1]), Number(match[2]));
  }
  const failures = [...table].filter(([code]) => code >= 4000);
  const catalogue = Object.values(ERROR_CODES).map(({ code, status }) => [code, status] as [number, number]);
  assert.deepEqual(
    catalogue.sort((a, b) => a[0] - b[0]),
    failures.sort((a, b) => a[0] - b[0]),
  );
  assert.equal(table.get(2010), 201);
});
