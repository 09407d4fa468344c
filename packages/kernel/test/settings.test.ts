import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { z } from 'zod';
import { ConfigError } from '../src/config/platform-config.js';
import { defineSettings, envValue } from '../src/config/settings.js';

const loadSettings = defineSettings({
  retries: ['LEDGER_RETRIES', envValue.integer(3, 0, 10)],
  verbose: ['LEDGER_VERBOSE', envValue.flag],
  mailbox: ['LEDGER_MAILBOX', envValue.optionalString],
  limits: {
    perMinute: ['LEDGER_LIMIT_PER_MINUTE', envValue.integer(60, 1)],
    burst: ['LEDGER_LIMIT_BURST', z.coerce.number().positive().default(1.5)],
  },
});

describe('defineSettings', () => {
  test('each field from its variable, groups as nested objects, defaults when unset', () => {
    assert.deepEqual(loadSettings({}), {
      retries: 3,
      verbose: false,
      mailbox: undefined,
      limits: { perMinute: 60, burst: 1.5 },
    });
    assert.deepEqual(
      loadSettings({
        LEDGER_RETRIES: '0',
        LEDGER_VERBOSE: 'yes',
        LEDGER_MAILBOX: '',
        LEDGER_LIMIT_BURST: '4',
      }),
      { retries: 0, verbose: true, mailbox: undefined, limits: { perMinute: 60, burst: 4 } },
    );
  });

  test('every bad variable is reported at once, by name', () => {
    assert.throws(
      () => loadSettings({ LEDGER_RETRIES: '11', LEDGER_VERBOSE: 'maybe', LEDGER_LIMIT_PER_MINUTE: '0' }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.deepEqual(
          error.issues.map((issue) => issue.split(':')[0]),
          ['LEDGER_RETRIES', 'LEDGER_VERBOSE', 'LEDGER_LIMIT_PER_MINUTE'],
        );
        return true;
      },
    );
  });
});
