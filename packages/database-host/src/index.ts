export { checkDatabaseId, databasePaths, hostIndexFor } from './database-files.js';
export {
  createDatabaseHost,
  DatabaseHost,
  type DatabaseHostLogger,
  type DatabaseHostOptions,
  defaultHostCount,
} from './database-host.js';
export {
  DatabaseHostError,
  type DatabaseHostErrorCode,
  type DatabaseHostErrorData,
  isDatabaseHostError,
} from './errors.js';
export { type DumpOptions, type DumpSink, dumpDatabase, quoteIdentifier, sqlLiteral } from './sql-dump.js';
export { analyzeStatement, splitStatements, tokenizeSql } from './sql-statements.js';
export { safeInteger, StatementRunner } from './statement-runner.js';
export * from './types.js';
export {
  createHistoryRecorder,
  type HistorySettings,
  historyRecorderModule,
  historySource,
} from './history-recorder.js';
