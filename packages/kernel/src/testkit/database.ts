import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { type DatabaseServer, startEmbeddedPostgres } from '../db/embedded-postgres.js';

export const TEST_ADMIN_URL_VARIABLE = 'TRUSTPLANE_TEST_ADMIN_URL';

let localServer: Promise<DatabaseServer> | undefined;

/**
 * The test run's PostgreSQL: the one `npm test` started (its admin URL is in the
 * environment), or, when a test file is run on its own, an embedded server of this process.
 */
async function adminUrl(): Promise<string> {
  const fromRunner = process.env[TEST_ADMIN_URL_VARIABLE];
  if (fromRunner) return fromRunner;
  localServer ??= startEmbeddedPostgres(path.join(os.tmpdir(), `trustplane-test-${process.pid}`));
  return (await localServer).adminUrl;
}

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** A fresh, empty database for one test file, so files run in parallel without sharing state. */
export async function createTestDatabase(label = 'test'): Promise<TestDatabase> {
  const admin = await adminUrl();
  const name = `t_${label
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .slice(0, 30)}_${randomBytes(5).toString('hex')}`;
  const client = new pg.Client(admin);
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    async drop() {
      const dropper = new pg.Client(admin);
      await dropper.connect();
      try {
        await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await dropper.end();
      }
    },
  };
}

export async function stopLocalTestServer(): Promise<void> {
  if (localServer) await (await localServer).stop();
}
