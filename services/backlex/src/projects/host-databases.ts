import type { Logger } from 'pino';
import type { ProjectDatabases } from './project-databases.js';

export interface HostDatabasesOptions {
  directory: string;
  env: Readonly<NodeJS.ProcessEnv>;
  logger: Logger;
}

/** Placeholder until `@trustplane/database-host` (h17-host) is merged: wired to it then. */
export function createHostDatabases(_options: HostDatabasesOptions): ProjectDatabases {
  throw new Error('@trustplane/database-host is not merged yet');
}
