/** Base of every error this package throws on purpose; `code` tells the kind. */
export class HistoryError extends Error {
  constructor(
    readonly code: 'out_of_range' | 'corrupt' | 'no_history',
    message: string,
  ) {
    super(message);
  }
}

function instant(ms: number): string {
  return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : String(ms);
}

/** A restore to a time the history cannot reach: before its first base, or in the future. */
export class RestoreOutOfRangeError extends HistoryError {
  override readonly name = 'RestoreOutOfRangeError';
  constructor(
    readonly requestedMs: number,
    /** The valid range, inclusive, in milliseconds since the epoch. */
    readonly validFromMs: number,
    readonly validToMs: number,
  ) {
    super(
      'out_of_range',
      `cannot restore to ${instant(requestedMs)}: the history covers ` +
        `${new Date(validFromMs).toISOString()} to ${new Date(validToMs).toISOString()}`,
    );
  }
}

/** Stored bytes (a backup, a base, a sealed generation) no longer hash to what was recorded. */
export class HistoryCorruptError extends HistoryError {
  override readonly name = 'HistoryCorruptError';
  constructor(message: string) {
    super('corrupt', message);
  }
}

/** A backup whose object does not hash to the backup's recorded size and sha-256. */
export class BackupCorruptError extends HistoryError {
  override readonly name = 'BackupCorruptError';
  constructor(
    readonly key: string,
    readonly expected: { sizeBytes: number; sha256: string },
    readonly actual: { sizeBytes: number; sha256: string } | undefined,
  ) {
    super(
      'corrupt',
      actual
        ? `backup ${key} is corrupt: ${actual.sizeBytes} bytes hashing to ${actual.sha256}, expected ${expected.sizeBytes} bytes hashing to ${expected.sha256}`
        : `backup ${key} is missing from the object store`,
    );
  }
}

/** Nothing has been recorded for this database yet. */
export class NoHistoryError extends HistoryError {
  override readonly name = 'NoHistoryError';
  constructor(where: string) {
    super('no_history', `no history recorded at ${where}`);
  }
}
