import {
  createDatabaseHost,
  isDatabaseHostError,
  type RecorderModule,
  type SqlStatement,
} from '@trustplane/database-host';
import type { Logger } from 'pino';
import type { ProjectDatabases } from './project-databases.js';

export interface HostDatabasesOptions {
  directory: string;
  env: Readonly<NodeJS.ProcessEnv>;
  logger: Logger;
  /** The commit recorder every host loads (`historyRecorderModule`: point-in-time history). */
  recorder?: RecorderModule | undefined;
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
    ...(options.recorder ? { recorder: options.recorder } : {}),
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
    dump: (id, destinationPath, header) => host.dump(id, destinationPath, header),
    async remove(id) {
      try {
        await host.remove(id);
      } catch (error) {
        if (!isDatabaseHostError(error, 'DATABASE_NOT_FOUND')) throw error;
      }
    },
    exists: (id) => host.exists(id),
    async checkpoint(id) {
      await host.checkpoint(id);
    },
    copyCheckpointed: (id, destinationPath) => host.copyCheckpointed(id, destinationPath),
    replace: (id, sourceFilePath) => host.replace(id, sourceFilePath),
    async pruneHistory(id, windowMs) {
      await host.pruneHistory(id, windowMs);
    },
    sizeBytes: (id) => host.sizeBytes(id),
    close: () => host.close(),
  };
}
