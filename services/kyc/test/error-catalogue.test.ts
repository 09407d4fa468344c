import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  checkErrorCatalogue,
  openApiErrorCodes,
  readmeErrorTable,
  seedPath,
} from '@trustplane/kernel/testkit';
import { renderKycError } from '../src/http/errors.js';
import { kycService } from '../src/index.js';

test('the error catalogue, the seed and the README agree both ways', () => {
  const seed = openApiErrorCodes(
    JSON.parse(readFileSync(seedPath(kycService), 'utf8')),
    ['error'],
    'seed 000',
  );
  const problems = checkErrorCatalogue({
    renderer: renderKycError,
    sourceDir: new URL('../src/', import.meta.url),
    documented: [seed, readmeErrorTable(new URL('../README.md', import.meta.url))],
    unused: {
      CREATE_FAILED: 'inserts fail with an error rather than return no row; that is INTERNAL_ERROR',
      SESSION_NOT_CONFIGURED:
        'the platform always provides the signing secret; without one kyc does not start',
    },
  });
  assert.deepEqual(problems, []);
});
