import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { MigrationError, migrate } from '../src/db/migrate.js';
import { createTestDatabase, type TestDatabase } from '../src/testkit/database.js';

describe('migrate', () => {
  let database: TestDatabase;
  let dir: string;
  before(async () => {
    database = await createTestDatabase('migrate');
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'migrations-'));
    await fs.writeFile(
      path.join(dir, '0001_init.sql'),
      'CREATE TABLE widget (id serial PRIMARY KEY, name text NOT NULL);',
    );
    await fs.writeFile(path.join(dir, '0002_seed.sql'), "INSERT INTO widget (name) VALUES ('first');");
  });
  after(async () => {
    await database.drop();
    await fs.rm(dir, { recursive: true, force: true });
  });

  test('applies files in order into the service schema', async () => {
    const result = await migrate(database.url, 'demo', dir);
    assert.deepEqual(result.applied, ['0001_init.sql', '0002_seed.sql']);
    const client = new pg.Client(database.url);
    await client.connect();
    const { rows } = await client.query('SELECT name FROM demo.widget');
    await client.end();
    assert.deepEqual(rows, [{ name: 'first' }]);
  });

  test('is idempotent: a second run applies nothing and changes nothing', async () => {
    const result = await migrate(database.url, 'demo', dir);
    assert.deepEqual(result.applied, []);
    assert.deepEqual(result.skipped, ['0001_init.sql', '0002_seed.sql']);
    const client = new pg.Client(database.url);
    await client.connect();
    const { rows } = await client.query('SELECT count(*)::int AS n FROM demo.widget');
    await client.end();
    assert.equal(rows[0].n, 1);
  });

  test('concurrent runs apply each migration once', async () => {
    await fs.writeFile(path.join(dir, '0003_more.sql'), "INSERT INTO widget (name) VALUES ('third');");
    const results = await Promise.all([1, 2, 3].map(() => migrate(database.url, 'demo', dir)));
    assert.equal(results.filter((r) => r.applied.includes('0003_more.sql')).length, 1);
  });

  test('refuses an applied migration that was edited', async () => {
    await fs.writeFile(path.join(dir, '0002_seed.sql'), "INSERT INTO widget (name) VALUES ('changed');");
    await assert.rejects(migrate(database.url, 'demo', dir), MigrationError);
  });

  test('a failing migration is rolled back whole and not recorded', async () => {
    const failing = await fs.mkdtemp(path.join(os.tmpdir(), 'migrations-bad-'));
    await fs.writeFile(
      path.join(failing, '0001_bad.sql'),
      'CREATE TABLE half (id int); SELECT * FROM missing_table;',
    );
    await assert.rejects(migrate(database.url, 'broken', failing), /0001_bad.sql failed/);
    const client = new pg.Client(database.url);
    await client.connect();
    const { rows } = await client.query("SELECT to_regclass('broken.half') AS t");
    const recorded = await client.query('SELECT count(*)::int AS n FROM broken.schema_migrations');
    await client.end();
    assert.equal(rows[0].t, null);
    assert.equal(recorded.rows[0].n, 0);
  });

  test('rejects badly named files', async () => {
    const odd = await fs.mkdtemp(path.join(os.tmpdir(), 'migrations-odd-'));
    await fs.writeFile(path.join(odd, 'init.sql'), 'SELECT 1;');
    await assert.rejects(migrate(database.url, 'odd', odd), /NNNN_name.sql/);
  });
});
