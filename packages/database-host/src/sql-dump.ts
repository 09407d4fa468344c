/**
 * A SQL text dump of one SQLite database, read from its own connection inside one read
 * transaction (a WAL snapshot: writers on the file's main connection go on meanwhile), written in
 * a form that loads into an empty SQLite database giving the same content: schema, every row
 * (rowids kept), `sqlite_sequence`, `user_version`; indexes, views and triggers after the data
 * (so triggers do not fire while it loads). The reading yields to the event loop between chunks,
 * so the host keeps serving its other files and this file's writers.
 */
import type Database from 'libsql';

type Connection = InstanceType<typeof Database>;

export interface DumpSink {
  /** Resolves once the chunk may be followed by more (backpressure). */
  write(chunk: string): Promise<void>;
}

export interface DumpOptions {
  /** Rows read between two yields to the event loop. Default 500. */
  rowsPerChunk?: number;
  /** Bytes buffered before they are handed to the sink. Default 256 KiB. */
  bufferBytes?: number;
  /** A header comment line (no line breaks). */
  header?: string;
}

interface SchemaEntry {
  type: string;
  name: string;
  sql: string;
}

interface TableInfo {
  name: string;
  /** `table`, `virtual` or `shadow` (`PRAGMA table_list`). */
  kind: string;
  withoutRowid: boolean;
}

/** `"name"`, doubling inner quotes. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A REAL as a literal SQLite reads back as the same double (and as a REAL, not an INTEGER). */
function realLiteral(value: number): string {
  if (Number.isNaN(value)) return 'NULL';
  if (value === Number.POSITIVE_INFINITY) return '9e999';
  if (value === Number.NEGATIVE_INFINITY) return '-9e999';
  if (Object.is(value, -0)) return '-0.0';
  const text = String(value);
  return /^-?\d+$/.test(text) ? `${text}.0` : text;
}

/**
 * One value as a SQL literal. Integers arrive as bigint (`safeIntegers`), so none is rounded;
 * reals use the shortest text that reads back as the same double; text is quoted, or written as
 * its UTF-8 bytes cast to TEXT when it holds a NUL (which a SQL string cannot carry); blobs as
 * `X'…'`.
 */
export function sqlLiteral(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'bigint') return value.toString();
  // Integers come as bigint (`safeIntegers`): a number is always a REAL.
  if (typeof value === 'number') return realLiteral(value);
  if (typeof value === 'string') {
    if (value.includes('\0')) return `CAST(X'${Buffer.from(value, 'utf8').toString('hex')}' AS TEXT)`;
    return `'${value.replaceAll("'", "''")}'`;
  }
  if (value instanceof Uint8Array) return `X'${Buffer.from(value).toString('hex')}'`;
  if (typeof value === 'boolean') return value ? '1' : '0';
  throw new TypeError(`cannot write a ${typeof value} as SQL`);
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

function rows(connection: Connection, sql: string): unknown[][] {
  return connection.prepare(sql).raw(true).safeIntegers(true).all() as unknown[][];
}

function tablesOf(connection: Connection): Map<string, TableInfo> {
  const tables = new Map<string, TableInfo>();
  for (const [name, kind, wr] of rows(
    connection,
    "SELECT name, type, wr FROM pragma_table_list WHERE schema = 'main'",
  )) {
    tables.set(String(name), { name: String(name), kind: String(kind), withoutRowid: Number(wr) === 1 });
  }
  return tables;
}

/** Columns an INSERT may name (generated and hidden columns are not stored values). */
function insertableColumns(connection: Connection, table: string) {
  const columns = rows(
    connection,
    `SELECT name, type, pk, hidden FROM pragma_table_xinfo(${sqlLiteral(table)}) ORDER BY cid`,
  ).map(([name, type, pk, hidden]) => ({
    name: String(name),
    type: String(type ?? ''),
    pk: Number(pk),
    hidden: Number(hidden),
  }));
  return { all: columns, stored: columns.filter((column) => column.hidden === 0) };
}

/**
 * The rowid's name for a rowid table whose rowid is not already a column (an INTEGER PRIMARY
 * KEY is its rowid): `rowid`, `_rowid_` or `oid`, whichever no column shadows.
 */
function rowidAlias(
  table: TableInfo,
  columns: { all: { name: string; type: string; pk: number }[] },
): string | undefined {
  if (table.kind !== 'table' || table.withoutRowid) return undefined;
  const keys = columns.all.filter((column) => column.pk > 0);
  if (keys.length === 1 && keys[0]!.type.toUpperCase() === 'INTEGER') return undefined;
  const names = new Set(columns.all.map((column) => column.name.toLowerCase()));
  return ['rowid', '_rowid_', 'oid'].find((alias) => !names.has(alias));
}

/**
 * Opens the read transaction a dump reads from; its first read fixes the snapshot (every commit
 * made before it, none after). Call it where the snapshot point matters (under the file's lock).
 */
export function beginSnapshot(connection: Connection): void {
  connection.exec('BEGIN');
  connection.prepare('SELECT count(*) FROM sqlite_schema').raw(true).get();
}

/**
 * Writes the dump of `connection`'s main database to `sink`, in one read transaction (the one
 * `beginSnapshot` opened, else a new one), which it ends.
 */
export async function dumpDatabase(connection: Connection, sink: DumpSink, options: DumpOptions = {}) {
  const rowsPerChunk = options.rowsPerChunk ?? 500;
  const bufferBytes = options.bufferBytes ?? 256 * 1024;
  let buffer = '';
  const emit = async (line: string) => {
    buffer += `${line}\n`;
    if (buffer.length >= bufferBytes) {
      const chunk = buffer;
      buffer = '';
      await sink.write(chunk);
    }
  };

  if (!connection.inTransaction) beginSnapshot(connection);
  try {
    const schema = rows(
      connection,
      'SELECT type, name, sql FROM sqlite_schema WHERE sql IS NOT NULL ORDER BY rowid',
    ).map(
      ([type, name, sql]) => ({ type: String(type), name: String(name), sql: String(sql) }) as SchemaEntry,
    );
    const [[userVersion] = [0n]] = rows(connection, 'PRAGMA user_version');
    const tables = tablesOf(connection);

    if (options.header) await emit(`-- ${options.header.replace(/[\r\n]+/g, ' ')}`);
    await emit('PRAGMA foreign_keys=OFF;');
    await emit('BEGIN TRANSACTION;');
    const dumped: SchemaEntry[] = [];
    for (const entry of schema) {
      if (entry.type !== 'table' || entry.name.startsWith('sqlite_')) continue;
      const table = tables.get(entry.name);
      // A virtual table's shadow tables are rebuilt by the virtual table as its rows load.
      if (table?.kind === 'shadow') continue;
      await emit(`${entry.sql};`);
      dumped.push(entry);
    }
    for (const entry of dumped) {
      const table = tables.get(entry.name) ?? { name: entry.name, kind: 'table', withoutRowid: false };
      const columns = insertableColumns(connection, entry.name);
      const alias = rowidAlias(table, columns);
      const names = [
        ...(alias ? [alias] : []),
        ...columns.stored.map((column) => quoteIdentifier(column.name)),
      ];
      if (names.length === 0) continue;
      const into = `INSERT INTO ${quoteIdentifier(entry.name)}(${names.join(',')}) VALUES(`;
      const select = connection
        .prepare(`SELECT ${names.join(', ')} FROM ${quoteIdentifier(entry.name)}`)
        .raw(true)
        .safeIntegers(true);
      let count = 0;
      for (const row of select.iterate() as Iterable<unknown[]>) {
        await emit(`${into}${row.map(sqlLiteral).join(',')});`);
        count += 1;
        if (count % rowsPerChunk === 0) await yieldToEventLoop();
      }
    }
    if (tables.has('sqlite_sequence')) {
      await emit('DELETE FROM sqlite_sequence;');
      for (const [name, seq] of rows(connection, 'SELECT name, seq FROM sqlite_sequence')) {
        await emit(`INSERT INTO sqlite_sequence(name,seq) VALUES(${sqlLiteral(name)},${sqlLiteral(seq)});`);
      }
    }
    for (const entry of schema) {
      if (entry.type === 'table' || entry.name.startsWith('sqlite_')) continue;
      await emit(`${entry.sql};`);
    }
    if (BigInt(userVersion as bigint) !== 0n) await emit(`PRAGMA user_version=${String(userVersion)};`);
    await emit('COMMIT;');
    if (buffer.length > 0) await sink.write(buffer);
  } finally {
    connection.exec('ROLLBACK');
  }
}
