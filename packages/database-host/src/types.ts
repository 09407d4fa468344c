/**
 * The host's request and result shapes. Everything here is plain data that crosses a process
 * boundary (Node's `advanced` IPC serialization: bigint and Uint8Array survive), so a host can be
 * moved to another machine behind the same messages.
 */

/** A value SQLite can bind: booleans bind as 1/0; Uint8Array as a blob. */
export type SqlValue = null | number | bigint | string | boolean | Uint8Array;

/**
 * A value read back: integers outside ±(2^53 − 1) come back as decimal strings (as
 * `lastInsertRowid` does), so no integer is silently rounded; blobs as Uint8Array.
 */
export type SqlResultValue = null | number | string | Uint8Array;

export interface SqlStatement {
  sql: string;
  /**
   * Positional values (`?`, `?N`, and named placeholders by position), or an object keyed by
   * placeholder name, with or without its prefix (`{ id: 1 }` or `{ ':id': 1 }`).
   */
  params?: SqlValue[] | Record<string, SqlValue>;
}

export interface ExecuteRequest {
  statements: SqlStatement[];
  /**
   * Run the statements as one transaction (all or nothing). Default true. With false, each
   * statement commits on its own and the first failure stops the rest (those before it stay).
   */
  transaction?: boolean;
  /**
   * Refuse every statement that may write (`READ_ONLY`, before it runs; a batch is rolled back):
   * only statements that return rows and are not INSERT/UPDATE/DELETE/REPLACE … RETURNING pass
   * (SELECT, read-only PRAGMAs, EXPLAIN). Default false.
   */
  readOnly?: boolean;
}

export interface StatementResult {
  columns: string[];
  /** Rows as arrays in `columns` order (two columns may share a name). */
  rows: SqlResultValue[][];
  rowsAffected: number;
  /** The connection's last inserted rowid: a number when safe, else a decimal string. */
  lastInsertRowid: number | string;
}

export interface ExecuteResult {
  results: StatementResult[];
}

export interface CopyResult {
  sizeBytes: number;
  /** Hex SHA-256 of the copied file. */
  sha256: string;
}

/** Caps on one `execute`'s results, counted while rows are read. */
export interface ResultLimits {
  maxRows: number;
  maxBytes: number;
}

export const DEFAULT_RESULT_LIMITS: ResultLimits = { maxRows: 10_000, maxBytes: 8 * 1024 * 1024 };

/**
 * Called by the host around the file's commits and checkpoints, in the host process, for
 * point-in-time history: `afterCommit` runs after a write transaction commits and before its
 * `execute` resolves, so the new WAL frames can be copied out before anyone is told the write
 * happened; `beforeCheckpoint` / `afterCheckpoint` bracket every checkpoint (the WAL is emptied
 * by it), all under the file's write lock. `afterCommit` may also be called when nothing new
 * committed (a rolled-back request that grew the WAL): the recorder then finds no new commit.
 */
export interface CommitRecorder {
  afterCommit(commitTimeMs: number): unknown;
  beforeCheckpoint(): unknown;
  /** `kept`: the checkpoint was taken for a backup copy (`copyCheckpointed`). */
  afterCheckpoint(options?: { kept?: boolean }): unknown;
  /**
   * The file was swapped (`replace`); called after the new file is open. `beforeCheckpoint` was
   * called before the swap. Without it, the recorder is closed and a new one made for the new file.
   */
  afterReplace?(): unknown;
  /** The file is closed (host closing, file replaced or removed). */
  close?(): unknown;
  /** Retention: drop what a restore inside the last `windowMs` cannot need (`pruneHistory`). */
  prune?(windowMs: number): unknown;
}

export interface RecorderContext {
  databaseId: string;
  databasePath: string;
  walPath: string;
  /** `recorder.options` from the host options, as given. */
  options: unknown;
}

export type RecorderFactory = (context: RecorderContext) => CommitRecorder | Promise<CommitRecorder>;

/**
 * Where the host processes find the recorder factory: a module (a `file:` URL of this code base)
 * and the name of its export; loaded in each host process, since the recorder must read the WAL
 * between a commit and the response.
 */
export interface RecorderModule {
  module: string;
  exportName: string;
  options?: unknown;
}

/** A request as it travels to a host process. */
export type HostCommand =
  | { op: 'create'; databaseId: string }
  | { op: 'execute'; databaseId: string; request: ExecuteRequest }
  | { op: 'checkpoint'; databaseId: string }
  | { op: 'copyCheckpointed'; databaseId: string; destinationPath: string }
  | { op: 'dump'; databaseId: string; destinationPath: string; header?: string }
  | { op: 'clone'; databaseId: string; targetId: string }
  | { op: 'replace'; databaseId: string; sourceFilePath: string }
  | { op: 'remove'; databaseId: string }
  | { op: 'sizeBytes'; databaseId: string }
  | { op: 'exists'; databaseId: string }
  | { op: 'pruneHistory'; databaseId: string; windowMs: number };

export interface HostInit {
  directory: string;
  limits: ResultLimits;
  recorder?: RecorderModule | undefined;
}

export type ParentMessage =
  | { type: 'init'; init: HostInit }
  | { type: 'request'; id: number; command: HostCommand }
  | { type: 'close' };

export type ChildMessage =
  | { type: 'ready' }
  | { type: 'start'; id: number }
  | { type: 'result'; id: number; ok: true; value: unknown }
  | {
      type: 'result';
      id: number;
      ok: false;
      error: { code: string; message: string; details?: Record<string, unknown> };
    }
  | { type: 'recorder-error'; databaseId: string; hook: string; message: string }
  | { type: 'closed' };
