import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { defineSettings, envValue } from '../src/config/settings.js';
import type { ServiceDefinition } from '../src/runtime/service-definition.js';
import { type BootedService, bootService } from '../src/testkit/boot-service.js';

// A service composed the way every service is: its settings loaded from `context.env` when its app
// is built. The variable is never in process.env, so only the boot env can bring it.
const loadLedgerSettings = defineSettings({ pageSize: ['LEDGER_PAGE_SIZE', envValue.integer(20, 1, 500)] });

const ledger: ServiceDefinition = {
  name: 'ledger',
  title: 'Ledger',
  version: '1.0.0',
  schema: 'ledger',
  // No tables: a directory without migrations.
  migrationsDir: path.resolve('no-such-migrations-dir'),
  ports: { http: 0 },
  async buildHttp(context) {
    const settings = loadLedgerSettings(context.env);
    const app = await context.createHttpApp({
      title: 'Ledger',
      version: '1.0.0',
      renderError: (error) => ({ statusCode: error.statusCode, body: { message: error.message } }),
    });
    app.get('/settings', { schema: { security: [] } }, async () => ({ pageSize: settings.pageSize }));
    return app;
  },
};

describe('settings from the boot env', () => {
  let booted: BootedService;
  before(async () => {
    assert.equal(process.env.LEDGER_PAGE_SIZE, undefined);
    booted = await bootService(ledger, { env: { LEDGER_PAGE_SIZE: '7' } });
  });
  after(() => booted?.close());

  test('a setting passed in the boot env reaches the service (context.env), not process.env', async () => {
    const response = await booted.app.inject({ method: 'GET', url: '/settings' });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { pageSize: 7 });
    assert.equal(booted.context.env.LEDGER_PAGE_SIZE, '7');
  });

  test('the env is the one the platform was loaded from, frozen: a later process.env change is not seen', () => {
    process.env.LEDGER_PAGE_SIZE = '9';
    try {
      assert.equal(booted.context.env, booted.context.config.env);
      assert.equal(booted.context.env.LEDGER_PAGE_SIZE, '7');
      assert.ok(Object.isFrozen(booted.context.env));
    } finally {
      delete process.env.LEDGER_PAGE_SIZE;
    }
  });
});
