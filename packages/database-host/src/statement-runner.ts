import type Database from 'libsql';
import { DatabaseHostError } from './errors.js';
import { type AnalyzedStatement, analyzeStatement } from './sql-statements.js';
import type {
  ExecuteRequest,
  ExecuteResult,
  ResultLimits,
  SqlResultValue,
  SqlStatement,
  StatementResult,
} from './types.js';

type Connection = InstanceType<typeof Database>;
type Statement = ReturnType<Connection['prepare']>;

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);

/** A number when it is exact in a double, else its decimal string. */
export function safeInteger(value: bigint | number): number | string {
  if (typeof value === 'number') return value;
  return value >= MIN_SAFE && value <= MAX_SAFE ? Number(value) : value.toString();
}

function bindable(value: unknown, where: string): null | number | bigint | string | Uint8Array {
  // libsql's native binding aborts the whole process on a boolean or a missing value: every value
  // is checked here first.
  if (value === null || typeof value === 'string' || typeof value === 'bigint') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw invalidParams(`${where} is not a finite number`);
    return value;
  }
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value instanceof Uint8Array) return value;
  throw invalidParams(`${where} is ${value === undefined ? 'missing' : 'not a SQL value'}`);
}

function invalidParams(message: string): DatabaseHostError {
  return new DatabaseHostError('INVALID_PARAMS', message);
}

/** The values to hand to libsql for `statement`, checked against its placeholders. */
export function bindParameters(
  analyzed: AnalyzedStatement,
  params: SqlStatement['params'],
): unknown[] | Record<string, unknown> {
  const { named, positionalCount, hasAnonymous } = analyzed.parameters;
  if (params === undefined || Array.isArray(params)) {
    const values = params ?? [];
    if (values.length !== positionalCount)
      throw invalidParams(`the statement takes ${positionalCount} parameter(s), ${values.length} given`);
    return values.map((value, index) => bindable(value, `parameter ${index + 1}`));
  }
  if (typeof params !== 'object' || params === null) throw invalidParams('params is an array or an object');
  if (hasAnonymous) throw invalidParams('a statement with `?` placeholders takes its params as an array');
  const given = new Map<string, unknown>();
  for (const [key, value] of Object.entries(params)) {
    const bare = /^[:@$?]/.test(key) ? key.slice(1) : key;
    given.set(bare, value);
  }
  const bound: Record<string, unknown> = {};
  const used = new Set<string>();
  for (const name of named) {
    // libsql binds `:a`, `@a` and `$a` all from key `a`.
    const bare = name.slice(1);
    if (!given.has(bare)) throw invalidParams(`parameter ${name} is missing`);
    bound[bare] = bindable(given.get(bare), `parameter ${name}`);
    used.add(bare);
  }
  const unknown = [...given.keys()].filter((key) => !used.has(key));
  if (unknown.length > 0) throw invalidParams(`the statement has no parameter named ${unknown.join(', ')}`);
  return bound;
}

interface PreparedEntry {
  statement: Statement;
  analyzed: AnalyzedStatement;
  reader: boolean;
  columns: string[];
}

function sqlError(error: unknown): DatabaseHostError {
  if (error instanceof DatabaseHostError) return error;
  const failure = error as { code?: unknown; rawCode?: unknown; message?: unknown };
  return new DatabaseHostError('SQL_ERROR', String(failure.message ?? error), {
    sqliteCode: typeof failure.code === 'string' ? failure.code : 'SQLITE_ERROR',
  });
}

/** Rough wire size of a value, counted as rows are read so a huge result stops early. */
function valueBytes(value: SqlResultValue): number {
  if (value === null) return 4;
  if (typeof value === 'number') return 8;
  if (typeof value === 'string') return value.length * 2 > 4096 ? Buffer.byteLength(value) : value.length * 3;
  return value.byteLength;
}

export interface RunOptions {
  limits: ResultLimits;
  /** Called as each statement starts (the host's watchdog counts a statement's time from here). */
  onStatementStart?: (index: number) => void;
}

/**
 * Runs requests on one libsql connection: the statement checks, parameter binding, transactions,
 * result caps and value conversion the host applies. In-process and synchronous; the host process
 * wraps it with its per-file queue, and the benchmark uses it as the in-process baseline.
 */
export class StatementRunner {
  private readonly cache = new Map<string, PreparedEntry>();
  private readonly analyses = new Map<string, AnalyzedStatement>();
  private totalChanges: Statement | undefined;
  private lastRowid: Statement | undefined;

  constructor(
    readonly connection: Connection,
    private readonly cacheSize = 64,
  ) {}

  private prepare(sql: string): PreparedEntry {
    const cached = this.cache.get(sql);
    if (cached) {
      // Most recently used last.
      this.cache.delete(sql);
      this.cache.set(sql, cached);
      return cached;
    }
    const analyzed = this.analyze(sql);
    let statement: Statement;
    try {
      statement = this.connection.prepare(sql);
    } catch (error) {
      throw sqlError(error);
    }
    const reader = statement.reader;
    // A PRAGMA that passed the name check and still returns nothing is a setter in disguise.
    if (analyzed.pragma && !reader)
      throw new DatabaseHostError('FORBIDDEN_STATEMENT', 'only read-only PRAGMAs are allowed', {
        keyword: 'PRAGMA',
      });
    const columns = reader ? statement.columns().map((column) => column.name) : [];
    if (reader) statement.raw(true).safeIntegers(true);
    const entry = { statement, analyzed, reader, columns };
    this.cache.set(sql, entry);
    if (this.cache.size > this.cacheSize) this.cache.delete(this.cache.keys().next().value as string);
    return entry;
  }

  private analyze(sql: string): AnalyzedStatement {
    let analyzed = this.analyses.get(sql);
    if (!analyzed) {
      analyzed = analyzeStatement(sql);
      this.analyses.set(sql, analyzed);
      if (this.analyses.size > this.cacheSize * 4)
        this.analyses.delete(this.analyses.keys().next().value as string);
    }
    return analyzed;
  }

  private changesSoFar(): bigint {
    this.totalChanges ??= this.connection.prepare('SELECT total_changes()').raw(true).safeIntegers(true);
    return (this.totalChanges.get([]) as [bigint])[0];
  }

  private lastInsertRowid(): number | string {
    this.lastRowid ??= this.connection.prepare('SELECT last_insert_rowid()').raw(true).safeIntegers(true);
    return safeInteger((this.lastRowid.get([]) as [bigint])[0]);
  }

  private writesRows(sql: string): boolean {
    const entry = this.prepare(sql);
    return entry.reader && entry.analyzed.writesRows;
  }

  /**
   * Checks every statement of a request before any of it runs: one statement each, none
   * forbidden, parameters matching. (SQLite prepares each when its turn comes: a statement may use
   * a table an earlier one of the batch creates.)
   */
  validate(request: ExecuteRequest): void {
    if (!request || !Array.isArray(request.statements) || request.statements.length === 0)
      throw new DatabaseHostError('INVALID_REQUEST', 'a request holds at least one statement');
    for (const [index, item] of request.statements.entries()) {
      try {
        if (!item || typeof item.sql !== 'string')
          throw new DatabaseHostError('INVALID_REQUEST', 'each statement has a `sql` string');
        bindParameters(this.analyze(item.sql), item.params);
      } catch (error) {
        throw withIndex(sqlError(error), index);
      }
    }
  }

  private runOne(
    item: SqlStatement,
    budget: { rows: number; bytes: number },
    limits: ResultLimits,
    readOnly = false,
  ): StatementResult {
    const entry = this.prepare(item.sql);
    // A statement that returns no rows (CREATE, DROP, INSERT…) or a data change with RETURNING
    // may write; SELECT, read-only PRAGMAs and EXPLAIN do not.
    if (readOnly && (!entry.reader || entry.analyzed.writesRows))
      throw new DatabaseHostError(
        'READ_ONLY',
        'the database is read-only for this request: writes are refused',
        {
          keyword: entry.analyzed.keyword,
        },
      );
    const params = bindParameters(entry.analyzed, item.params);
    const { statement } = entry;
    if (!entry.reader) {
      const info = statement.run(params as never);
      // libsql hands lastInsertRowid over as a double: ask SQLite again past 2^53.
      const rowid =
        typeof info.lastInsertRowid === 'number' && !Number.isSafeInteger(info.lastInsertRowid)
          ? this.lastInsertRowid()
          : safeInteger(info.lastInsertRowid);
      return { columns: [], rows: [], rowsAffected: info.changes, lastInsertRowid: rowid };
    }
    const writes = entry.analyzed.writesRows;
    const changesBefore = writes ? this.changesSoFar() : 0n;
    const rows: SqlResultValue[][] = [];
    const iterator = statement.iterate(params as never) as IterableIterator<unknown[]>;
    let overCap: DatabaseHostError | undefined;
    for (const raw of iterator) {
      budget.rows += 1;
      if (budget.rows > limits.maxRows) {
        overCap = new DatabaseHostError('RESULT_TOO_LARGE', `results are capped at ${limits.maxRows} rows`, {
          limit: 'rows',
          maxRows: limits.maxRows,
        });
        break;
      }
      const row = new Array<SqlResultValue>(raw.length);
      for (let column = 0; column < raw.length; column += 1) {
        const value = raw[column];
        const converted: SqlResultValue =
          typeof value === 'bigint' ? safeInteger(value) : (value as SqlResultValue);
        budget.bytes += valueBytes(converted);
        row[column] = converted;
      }
      if (budget.bytes > limits.maxBytes) {
        overCap = new DatabaseHostError(
          'RESULT_TOO_LARGE',
          `results are capped at ${limits.maxBytes} bytes`,
          {
            limit: 'bytes',
            maxBytes: limits.maxBytes,
          },
        );
        break;
      }
      rows.push(row);
    }
    if (overCap) {
      // A statement left mid-way keeps its read lock (checkpoints and writes would then fail), and
      // libsql exposes no reset: a read is reset by get() (one step of a fresh run, no side
      // effect); a write's RETURNING rows are already computed by SQLite, so they are drained, and
      // the transaction it runs in is rolled back by the caller.
      if (writes) for (const _ of iterator);
      else statement.get(params as never);
      throw overCap;
    }
    const rowsAffected = writes ? Number(this.changesSoFar() - changesBefore) : 0;
    return {
      columns: entry.columns,
      rows,
      rowsAffected,
      lastInsertRowid: writes ? this.lastInsertRowid() : 0,
    };
  }

  /**
   * Runs a request. With a transaction (the default for more than one statement) the statements
   * run between BEGIN IMMEDIATE and COMMIT, and any failure rolls all of them back.
   */
  execute(request: ExecuteRequest, options: RunOptions): ExecuteResult {
    this.validate(request);
    const { statements } = request;
    // One statement is atomic on its own, except a write that returns rows: its RETURNING rows
    // may pass the caps after the write is done, and must then be undone.
    let transaction = request.transaction !== false && statements.length > 1;
    try {
      if (request.transaction !== false && statements.length === 1)
        transaction = this.writesRows(statements[0]!.sql);
    } catch (error) {
      throw withIndex(sqlError(error), 0);
    }
    const budget = { rows: 0, bytes: 0 };
    const results: StatementResult[] = [];
    if (transaction) this.connection.exec('BEGIN IMMEDIATE');
    try {
      for (const [index, item] of statements.entries()) {
        options.onStatementStart?.(index);
        try {
          results.push(this.runOne(item, budget, options.limits, request.readOnly === true));
        } catch (error) {
          throw withIndex(sqlError(error), index);
        }
      }
      if (transaction) this.connection.exec('COMMIT');
    } catch (error) {
      if (this.connection.inTransaction) this.connection.exec('ROLLBACK');
      throw error;
    }
    return { results };
  }

  /** Forgets prepared statements (before the connection closes). */
  clear(): void {
    this.cache.clear();
    this.analyses.clear();
    this.totalChanges = undefined;
    this.lastRowid = undefined;
  }
}

function withIndex(error: DatabaseHostError, statementIndex: number): DatabaseHostError {
  if (error.details.statementIndex === undefined) error.details.statementIndex = statementIndex;
  return error;
}
