import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import Database from 'libsql';
import { isDatabaseHostError, sqlLiteral } from '../src/index.js';
import { tempDirectory, tempHost } from './temp-host.js';

type Connection = InstanceType<typeof Database>;

function all(connection: Connection, sql: string): unknown[][] {
  return connection.prepare(sql).raw(true).safeIntegers(true).all() as unknown[][];
}

/**
 * Everything a database holds, exactly: its schema rows, `user_version`, and every table's rows
 * with their rowids (values as SQLite typed them: bigint integers, doubles, text, blobs, NULL).
 */
export function contentOf(file: string) {
  const connection = new Database(file);
  try {
    const schema = all(
      connection,
      "SELECT type, name, tbl_name, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite_autoindex%' ORDER BY type, name",
    );
    const tables = all(
      connection,
      "SELECT name, wr FROM pragma_table_list WHERE schema = 'main' AND type = 'table' AND name <> 'sqlite_schema' ORDER BY name",
    );
    const data: Record<string, unknown[][]> = {};
    for (const [name, wr] of tables) {
      const quoted = `"${String(name).replaceAll('"', '""')}"`;
      const columns = all(connection, `SELECT name FROM pragma_table_xinfo(${sqlLiteral(String(name))})`).map(
        ([column]) => `"${String(column).replaceAll('"', '""')}"`,
      );
      const select = Number(wr) === 1 ? columns.join(', ') : ['_rowid_', ...columns].join(', ');
      const typed = `SELECT ${select}, ${columns.map((column) => `typeof(${column})`).join(', ')} FROM ${quoted}`;
      // A rowid table scans in rowid order, a WITHOUT ROWID one in key order: the same on both sides.
      data[String(name)] = all(connection, typed);
    }
    return { schema, userVersion: all(connection, 'PRAGMA user_version')[0]?.[0], data };
  } finally {
    connection.close();
  }
}

function load(dump: string, file: string) {
  const connection = new Database(file);
  try {
    connection.exec(dump);
  } finally {
    connection.close();
  }
}

describe('database host: SQL dumps', () => {
  const host = tempHost();
  const scratch = tempDirectory();

  it('a dump loads into an empty SQLite database with identical content: types, blobs, NULLs, big integers, quotes, rowids, indexes, views, triggers, AUTOINCREMENT, generated columns', async () => {
    await host.create('source');
    await host.execute('source', {
      statements: [
        {
          sql: 'CREATE TABLE items (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, data BLOB, price REAL, qty INTEGER, note)',
        },
        { sql: 'CREATE UNIQUE INDEX items_name ON items (name)' },
        { sql: 'CREATE TABLE "odd ""table""" ("we""ird col" TEXT, plain INTEGER)' },
        { sql: 'CREATE TABLE kv (k TEXT PRIMARY KEY, v ANY) WITHOUT ROWID' },
        { sql: 'CREATE TABLE strict_t (a INTEGER, b TEXT) STRICT' },
        {
          sql: 'CREATE TABLE gen (a INTEGER, b INTEGER GENERATED ALWAYS AS (a * 2) VIRTUAL, c TEXT GENERATED ALWAYS AS (upper(d)) STORED, d TEXT)',
        },
        { sql: 'CREATE TABLE audit_log (item_id INTEGER, at TEXT)' },
        {
          sql: "CREATE TRIGGER items_audit AFTER INSERT ON items BEGIN INSERT INTO audit_log VALUES (new.id, 'inserted; really'); END",
        },
        { sql: 'CREATE VIEW expensive AS SELECT name, price FROM items WHERE price > 10' },
        { sql: 'CREATE VIEW expensive_names AS SELECT name FROM expensive' },
        {
          sql: 'INSERT INTO items (name, data, price, qty, note) VALUES (?, ?, ?, ?, ?)',
          params: [
            'O\'Brien "quoted"; -- not a comment',
            new Uint8Array([0, 1, 2, 255]),
            12.5,
            9007199254740993n,
            null,
          ],
        },
        {
          sql: 'INSERT INTO items (name, data, price, qty, note) VALUES (?, ?, ?, ?, ?)',
          params: ['line\nbreak\ttab ü 😀', new Uint8Array(0), 0.1, -9223372036854775808n, 1.0],
        },
        {
          sql: 'INSERT INTO items (name, data, price, qty, note) VALUES (?, ?, ?, ?, ?)',
          params: ['nul\u0000inside', null, 1e300, 9223372036854775807n, 'text'],
        },
        { sql: "INSERT INTO items (name, price, note) VALUES ('reals', 3.0, 5e-324)" },
        { sql: "INSERT INTO items (name, price, note) VALUES ('inf', 9e999, -9e999)" },
        { sql: 'INSERT INTO "odd ""table""" VALUES (\'x\'\'y\', 1), (NULL, NULL)' },
        { sql: "INSERT INTO kv VALUES ('a', 1), ('b', 2.5), ('c', x'00ff'), ('d', NULL), ('e', 'text')" },
        { sql: "INSERT INTO strict_t VALUES (1, 'one')" },
        { sql: "INSERT INTO gen (a, d) VALUES (21, 'abc')" },
        // Rowids of a table without an INTEGER PRIMARY KEY are kept, gaps included.
        { sql: 'DELETE FROM audit_log WHERE item_id = 2' },
      ],
    });
    // user_version is not settable through execute (PRAGMA writes are refused): set it directly.
    const direct = new Database(path.join(host.directory, 'source.sqlite'));
    direct.exec('PRAGMA user_version = 7');
    direct.close();

    const destination = path.join(scratch, 'source.sql');
    const dumped = await host.dump('source', destination, 'test dump');
    const text = fs.readFileSync(destination, 'utf8');
    assert.equal(dumped.sizeBytes, Buffer.byteLength(text));
    assert.match(dumped.sha256, /^[0-9a-f]{64}$/);
    assert.match(text, /^-- test dump\nPRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\n/);
    assert.match(text, /COMMIT;\n$/);
    // Triggers come after the rows: loading does not fire them again.
    assert.ok(text.indexOf('CREATE TRIGGER') > text.lastIndexOf('INSERT INTO "items"'));

    const copy = path.join(scratch, 'copy.sqlite');
    load(text, copy);
    await host.checkpoint('source');
    const original = contentOf(path.join(host.directory, 'source.sqlite'));
    const loaded = contentOf(copy);
    assert.deepEqual(loaded, original);
    assert.equal(original.userVersion, 7n);
    // The sequence continues where it was.
    const next = new Database(copy);
    next.prepare("INSERT INTO items (name) VALUES ('next')").run();
    const id = (
      next.prepare("SELECT id FROM items WHERE name = 'next'").raw(true).all() as number[][]
    )[0]?.[0];
    next.close();
    assert.equal(id, 6);
  });

  it('an empty database dumps to a loadable script; a missing one is DATABASE_NOT_FOUND; an existing destination is refused', async () => {
    await host.create('empty');
    const destination = path.join(scratch, 'empty.sql');
    await host.dump('empty', destination);
    const copy = path.join(scratch, 'empty-copy.sqlite');
    load(fs.readFileSync(destination, 'utf8'), copy);
    assert.deepEqual(contentOf(copy), contentOf(path.join(host.directory, 'empty.sqlite')));
    await assert.rejects(host.dump('nope', path.join(scratch, 'nope.sql')), (error) =>
      isDatabaseHostError(error, 'DATABASE_NOT_FOUND'),
    );
    await assert.rejects(host.dump('empty', destination), (error) => isDatabaseHostError(error, 'IO_ERROR'));
  });

  it('reads one snapshot without holding up writers: a write sent after the dump started is acknowledged before the dump ends and is not in it', async () => {
    await host.create('busy');
    await host.execute('busy', {
      statements: [
        { sql: 'CREATE TABLE big (id INTEGER PRIMARY KEY, payload BLOB)' },
        {
          sql: 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 5000) INSERT INTO big SELECT x, randomblob(100) FROM c',
        },
      ],
    });
    let dumpDone = false;
    const dumping = host.dump('busy', path.join(scratch, 'busy.sql')).then((result) => {
      dumpDone = true;
      return result;
    });
    const write = await host.execute('busy', {
      statements: [{ sql: 'INSERT INTO big VALUES (999999, NULL)' }],
    });
    assert.equal(write.results[0]?.rowsAffected, 1);
    assert.equal(dumpDone, false, 'the write was answered while the dump was still reading');
    // A checkpoint waits for the dump (its snapshot would keep the WAL from being truncated).
    await host.checkpoint('busy');
    assert.equal(dumpDone, true);
    await dumping;
    const copy = path.join(scratch, 'busy-copy.sqlite');
    load(fs.readFileSync(path.join(scratch, 'busy.sql'), 'utf8'), copy);
    const connection = new Database(copy);
    const [count, late] = (
      connection.prepare('SELECT count(*), sum(id = 999999) FROM big').raw(true).all() as number[][]
    )[0] as number[];
    connection.close();
    assert.equal(count, 5000);
    assert.equal(late, 0, 'the dump holds the snapshot it started with');
  });
});
