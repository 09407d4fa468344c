/**
 * What the projects area needs from the database hosts (`@trustplane/database-host`): one SQLite
 * file per project and per branch, addressed by id. Message-based and serializable, so the hosts
 * can move to other machines behind the same interface.
 */
export type StatementParams = readonly unknown[] | Readonly<Record<string, unknown>>;

export interface Statement {
  sql: string;
  params?: StatementParams | undefined;
}

export interface StatementResult {
  columns: string[];
  rows: unknown[][];
  rowsAffected: number;
  /** A number when it is a safe integer, else its decimal string; null when nothing was inserted. */
  lastInsertRowid: number | string | null;
}

export interface ProjectDatabases {
  /** Creates an empty database file (replacing a leftover file of the same id). */
  create(id: string): Promise<void>;
  /**
   * Runs the statements; `transaction` makes them all-or-nothing; `readOnly` refuses any statement
   * that may write (host code `READ_ONLY`) before it runs.
   */
  execute(
    id: string,
    request: { statements: Statement[]; transaction: boolean; readOnly?: boolean },
  ): Promise<StatementResult[]>;
  /** A checkpointed copy of `sourceId` as `targetId`. */
  clone(sourceId: string, targetId: string): Promise<void>;
  /**
   * A `.sql` dump (schema + rows, loads into an empty SQLite with the same content) written to
   * `destinationPath` by the file's host from one read snapshot; writers are not held up.
   */
  dump(id: string, destinationPath: string, header?: string): Promise<{ sizeBytes: number; sha256: string }>;
  /** Closes and deletes the file (and its WAL); nothing when it does not exist. */
  remove(id: string): Promise<void>;
  exists(id: string): Promise<boolean>;
  /** Bytes on disk: the file and its WAL. */
  sizeBytes(id: string): Promise<number>;
  /** Checkpoints the WAL into the file (the history seals its generation and takes a base). */
  checkpoint(id: string): Promise<void>;
  /**
   * Under the file's write lock: checkpoint (a kept base in the history), then a hashed, fsync'd
   * copy at `destinationPath` (backups).
   */
  copyCheckpointed(id: string, destinationPath: string): Promise<{ sizeBytes: number; sha256: string }>;
  /**
   * Swaps `sourceFilePath` (a SQLite file, consumed) in as the live file in one rename (restores);
   * the swap is a recorded point in the file's history.
   */
  replace(id: string, sourceFilePath: string): Promise<{ sizeBytes: number }>;
  /** History retention: drops what a restore inside the last `windowMs` cannot need. */
  pruneHistory(id: string, windowMs: number): Promise<void>;
  close(): Promise<void>;
}
