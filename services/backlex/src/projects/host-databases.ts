import { createDatabaseHost, isDatabaseHostError, type SqlStatement } from '@trustplane/database-host';
import type { Logger } from 'pino';
import type { ProjectDatabases } from './project-databases.js';

export interface HostDatabasesOptions {
  directory: string;
  env: Readonly<NodeJS.ProcessEnv>;
  logger: Logger;
}

/**
 * The projects' files on `@trustplane/database-host` child processes (one per core unless
 * `TRUSTPLANE_DATABASE_HOSTS` says otherwise), each file owned by one host.
 */
export function createHostDatabases(options: HostDatabasesOptions): ProjectDatabases {
  const configured = Number(options.env.TRUSTPLANE_DATABASE_HOSTS);
  const host = createDatabaseHost({
    directory: options.directory,
    ...(Number.isInteger(configured) && configured > 0 ? { hosts: configured } : {}),
    logger: options.logger,
  });
  return {
    async create(id) {
      await host.create(id);
    },
    async execute(id, request) {
      const { results } = await host.execute(id, {
        statements: request.statements as SqlStatement[],
        transaction: request.transaction,
        ...(request.readOnly ? { readOnly: true } : {}),
      });
      return results;
    },
    async clone(sourceId, targetId) {
      await host.clone(sourceId, targetId);
    },
    async remove(id) {
      try {
        await host.remove(id);
      } catch (error) {
        if (!isDatabaseHostError(error, 'DATABASE_NOT_FOUND')) throw error;
      }
    },
    exists: (id) => host.exists(id),
    sizeBytes: (id) => host.sizeBytes(id),
    close: () => host.close(),
  };
}
