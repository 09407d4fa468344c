import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkServiceErrors } from '@trustplane/kernel/testkit';
import { renderKycError } from '../src/http/errors.js';
import { kycService } from '../src/index.js';

test('the error catalogue, the seed and the README agree both ways', () => {
  const problems = checkServiceErrors(kycService, {
    renderer: renderKycError,
    packageDir: new URL('..', import.meta.url),
    seedCodeField: ['error'],
    unused: {
      CREATE_FAILED: 'inserts fail with an error rather than return no row; that is INTERNAL_ERROR',
      SESSION_NOT_CONFIGURED:
        'the platform always provides the signing secret; without one kyc does not start',
    },
  });
  assert.deepEqual(problems, []);
});
