/**
 * Every failure the host reports has one of these codes. Errors cross the process boundary as
 * `{ code, message, details }` (plain data), so a host on another machine can report them the same way.
 */
export type DatabaseHostErrorCode =
  /** The id is not a valid database id (letters, digits, `_`, `-`; 1–128 characters). */
  | 'INVALID_DATABASE_ID'
  /** `create` of an id whose file exists, or `clone` onto one. */
  | 'DATABASE_EXISTS'
  /** No file for this id. */
  | 'DATABASE_NOT_FOUND'
  /** The request itself is malformed (no statements, a statement that is not a string…). */
  | 'INVALID_REQUEST'
  /** A statement string with nothing but whitespace and comments. */
  | 'EMPTY_STATEMENT'
  /** A statement string holding more than one statement. */
  | 'MULTIPLE_STATEMENTS'
  /** ATTACH, DETACH, VACUUM, a PRAGMA that is not a read-only one, or transaction control. */
  | 'FORBIDDEN_STATEMENT'
  /** Parameters that do not match the statement's placeholders, or a value SQLite cannot bind. */
  | 'INVALID_PARAMS'
  /** SQLite refused the statement (syntax, constraint, missing table…): `details.sqliteCode`. */
  | 'SQL_ERROR'
  /** The results passed the row or byte cap (`details.limit`). */
  | 'RESULT_TOO_LARGE'
  /** A statement ran past the time limit: its host was killed and restarted. */
  | 'STATEMENT_TIMEOUT'
  /**
   * The host process died (killed for another request's runaway statement, or crashed) while this
   * request was sent to it: whether a write in it committed is unknown only if it was running.
   */
  | 'HOST_RESTARTED'
  /** A statement that may write, in a request sent with `readOnly`. */
  | 'READ_ONLY'
  /** The file system refused (disk full, permissions…): `details.errno`. */
  | 'IO_ERROR'
  /** The host was closed. */
  | 'HOST_CLOSED'
  /**
   * The commit recorder failed to record (a commit's frames, a checkpoint's seal or base): the
   * request is not acknowledged (a write in it may have committed) and the file's history is
   * re-based before its next command; retryable. `details.hook` names the failing hook.
   */
  | 'HISTORY_UNAVAILABLE';

export interface DatabaseHostErrorData {
  code: DatabaseHostErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

export class DatabaseHostError extends Error {
  override readonly name = 'DatabaseHostError';
  readonly code: DatabaseHostErrorCode;
  readonly details: Record<string, unknown>;

  constructor(code: DatabaseHostErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.code = code;
    this.details = details;
  }

  toData(): DatabaseHostErrorData {
    return { code: this.code, message: this.message, details: this.details };
  }

  static fromData(data: DatabaseHostErrorData): DatabaseHostError {
    return new DatabaseHostError(data.code, data.message, data.details ?? {});
  }
}

export function isDatabaseHostError(
  error: unknown,
  code?: DatabaseHostErrorCode,
): error is DatabaseHostError {
  return error instanceof DatabaseHostError && (code === undefined || error.code === code);
}
