import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { loadPlatformConfig } from '../config/platform-config.js';
import { Platform } from '../runtime/platform.js';
import type { ServiceContext, ServiceDefinition } from '../runtime/service-definition.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { createDatabaseOutage, type DatabaseOutage, poolDrained } from './database-outage.js';

export interface BootedService {
  app: FastifyInstance;
  context: ServiceContext;
  platform: Platform;
  database: TestDatabase;
  dataDir: string;
  /**
   * Takes the database away (open connections drop, new ones are refused) until the returned
   * function is called. Only for a service booted with `databaseOutage: true`.
   */
  takeDatabaseDown(): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export interface BootOptions {
  /** Extra environment for the platform config (e.g. service settings). */
  env?: Record<string, string>;
  /** Start the service's background workers, the outbox relay and webhook delivery too. */
  workers?: boolean;
  /**
   * Boot on this database instead of a fresh one (left in place on close): two services booted
   * on one database are two processes of one deployment, each with its own platform.
   */
  database?: TestDatabase;
  /** Connect through a relay that `takeDatabaseDown()` can cut. */
  databaseOutage?: boolean;
  /** The platform's logger (a test that reads the logs passes one writing where it can read). */
  logger?: Logger;
}

/**
 * Boots one service in-process on a fresh database (or the one given) and data dir, migrated,
 * with its HTTP app ready for `app.inject`. `close()` tears everything down.
 */
export async function bootService(
  definition: ServiceDefinition,
  options: BootOptions = {},
): Promise<BootedService> {
  const database = options.database ?? (await createTestDatabase(definition.name));
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), `trustplane-${definition.name}-`));
  const outage: DatabaseOutage | undefined = options.databaseOutage
    ? await createDatabaseOutage(database.url)
    : undefined;
  const config = loadPlatformConfig({
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
    TRUSTPLANE_ALLOW_PRIVATE_WEBHOOKS: '1',
    ...options.env,
    DATABASE_URL: outage?.url ?? database.url,
    TRUSTPLANE_DATA_DIR: dataDir,
  });
  const platform = await Platform.open({
    config,
    role: 'test',
    ...(options.logger ? { logger: options.logger } : {}),
  });
  await platform.migrate([definition]);
  const context = platform.createContext(definition, definition.ports.http);
  definition.defineJobs?.(context);
  const app = await definition.buildHttp(context);
  await app.ready();
  if (options.workers) await platform.startBackground();
  const workers = options.workers ? await definition.startWorkers?.(context) : undefined;
  let closed = false;
  return {
    app,
    context,
    platform,
    database,
    dataDir,
    async takeDatabaseDown() {
      if (!outage)
        throw new Error('boot the service with { databaseOutage: true } to take its database down');
      await outage.begin();
      await poolDrained(context.database().pool);
      return () => outage.end();
    },
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
      await workers?.stop();
      await platform.close();
      await outage?.close();
      if (!options.database) await database.drop();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}
