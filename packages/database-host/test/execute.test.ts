import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileUserVersion, isDatabaseHostError } from '../src/index.js';
import { tempDirectory, tempHost } from './temp-host.js';

describe('database host: create, execute, close', () => {
  const host = tempHost();
  const files = tempDirectory();

  it('creates a WAL file with synchronous=FULL and no autocheckpoint; a second create is refused', async () => {
    await host.create('alpha');
    assert.ok(fs.existsSync(path.join(host.directory, 'alpha.sqlite')));
    const { results } = await host.execute('alpha', {
      statements: [
        { sql: 'PRAGMA journal_mode' },
        { sql: 'PRAGMA synchronous' },
        { sql: 'PRAGMA wal_autocheckpoint' },
      ],
    });
    assert.deepEqual(
      results.map((result) => result.rows[0]?.[0]),
      ['wal', 2, 0],
    );
    await assert.rejects(host.create('alpha'), (error) => isDatabaseHostError(error, 'DATABASE_EXISTS'));
    await assert.rejects(host.execute('missing', { statements: [{ sql: 'SELECT 1' }] }), (error) =>
      isDatabaseHostError(error, 'DATABASE_NOT_FOUND'),
    );
    // No request creates a file by accident.
    assert.equal(fs.existsSync(path.join(host.directory, 'missing.sqlite')), false);
    await assert.rejects(host.create('../escape'), (error) =>
      isDatabaseHostError(error, 'INVALID_DATABASE_ID'),
    );
  });

  it('answers each statement with columns, rows, rowsAffected and lastInsertRowid, without _metadata', async () => {
    await host.create('shapes');
    const { results } = await host.execute('shapes', {
      statements: [
        { sql: 'CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, data BLOB, price REAL)' },
        {
          sql: 'INSERT INTO items (name, data, price) VALUES (?, ?, ?)',
          params: ['a', new Uint8Array([1, 2]), 1.5],
        },
        { sql: 'INSERT INTO items (name, price) VALUES (:name, $price)', params: { name: 'b', ':price': 2 } },
        { sql: 'SELECT id, name, data, price FROM items ORDER BY id' },
        { sql: 'UPDATE items SET price = price * 2' },
      ],
    });
    assert.deepEqual(results[0], { columns: [], rows: [], rowsAffected: 0, lastInsertRowid: 0 });
    assert.equal(results[1]!.rowsAffected, 1);
    assert.equal(results[1]!.lastInsertRowid, 1);
    assert.equal(results[2]!.lastInsertRowid, 2);
    const select = results[3]!;
    assert.deepEqual(select.columns, ['id', 'name', 'data', 'price']);
    assert.equal(select.rows.length, 2);
    assert.deepEqual(select.rows[0]!.slice(0, 2), [1, 'a']);
    assert.deepEqual([...(select.rows[0]![2] as Uint8Array)], [1, 2]);
    assert.equal(select.rows[0]![3], 1.5);
    assert.deepEqual(select.rows[1], [2, 'b', null, 2]);
    assert.equal(results[4]!.rowsAffected, 2);
    for (const result of results)
      assert.deepEqual(Object.keys(result).sort(), ['columns', 'lastInsertRowid', 'rows', 'rowsAffected']);
    assert.ok(!JSON.stringify(results).includes('_metadata'));
  });

  it('gives integers past 2^53 (rowids and values) as exact strings, safe ones as numbers', async () => {
    await host.create('bigint');
    const { results } = await host.execute('bigint', {
      statements: [
        { sql: 'CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER)' },
        { sql: 'INSERT INTO t (id, n) VALUES (?, ?)', params: [9007199254740993n, 42] },
        { sql: 'INSERT INTO t (n) VALUES (?) RETURNING id', params: [-9007199254740993n] },
        { sql: 'SELECT id, n FROM t ORDER BY id' },
      ],
    });
    assert.equal(results[1]!.lastInsertRowid, '9007199254740993');
    assert.equal(results[2]!.lastInsertRowid, '9007199254740994');
    assert.deepEqual(results[2]!.rows, [['9007199254740994']]);
    assert.equal(results[2]!.rowsAffected, 1);
    assert.deepEqual(results[3]!.rows, [
      ['9007199254740993', 42],
      ['9007199254740994', '-9007199254740993'],
    ]);
  });

  it('runs a batch as one transaction: a failing statement undoes the ones before it', async () => {
    await host.create('batch');
    await host.execute('batch', {
      statements: [
        {
          sql: 'CREATE TABLE accounts (id INTEGER PRIMARY KEY, balance INTEGER NOT NULL CHECK (balance >= 0))',
        },
      ],
    });
    await host.execute('batch', { statements: [{ sql: 'INSERT INTO accounts VALUES (1, 100), (2, 0)' }] });
    await assert.rejects(
      host.execute('batch', {
        statements: [
          { sql: 'UPDATE accounts SET balance = balance + 50 WHERE id = 2' },
          { sql: 'UPDATE accounts SET balance = balance - 150 WHERE id = 1' },
        ],
      }),
      (error) =>
        isDatabaseHostError(error, 'SQL_ERROR') &&
        error.details.statementIndex === 1 &&
        error.details.sqliteCode === 'SQLITE_CONSTRAINT_CHECK',
    );
    const { results } = await host.execute('batch', {
      statements: [{ sql: 'SELECT id, balance FROM accounts ORDER BY id' }],
    });
    assert.deepEqual(results[0]!.rows, [
      [1, 100],
      [2, 0],
    ]);

    // Without a transaction, statements before the failing one stay.
    await assert.rejects(
      host.execute('batch', {
        transaction: false,
        statements: [
          { sql: 'UPDATE accounts SET balance = balance + 50 WHERE id = 2' },
          { sql: 'UPDATE accounts SET balance = balance - 150 WHERE id = 1' },
        ],
      }),
      (error) => isDatabaseHostError(error, 'SQL_ERROR'),
    );
    const after = await host.execute('batch', {
      statements: [{ sql: 'SELECT balance FROM accounts WHERE id = 2' }],
    });
    assert.deepEqual(after.results[0]!.rows, [[50]]);
  });

  it('a batch may use a table an earlier statement of it creates', async () => {
    await host.create('ddl');
    const { results } = await host.execute('ddl', {
      statements: [
        { sql: 'CREATE TABLE notes (body TEXT)' },
        { sql: "INSERT INTO notes VALUES ('x')" },
        { sql: 'SELECT count(*) AS n FROM notes' },
      ],
    });
    assert.deepEqual(results[2]!.rows, [[1]]);
  });

  it("userVersion: the header is set in the statements' transaction, rolled back with them; a checkpointed copy carries it", async () => {
    await host.create('versioned');
    const version = async () =>
      (await host.execute('versioned', { statements: [{ sql: 'PRAGMA user_version' }] })).results[0]!
        .rows[0]![0];
    await host.execute('versioned', { statements: [{ sql: 'CREATE TABLE t (v TEXT)' }], userVersion: 1 });
    assert.equal(await version(), 1);
    // Nothing but the header: no statement needed.
    await host.execute('versioned', { statements: [], userVersion: 2 });
    assert.equal(await version(), 2);
    // A failing statement: neither its table nor the new version stays.
    await assert.rejects(
      host.execute('versioned', {
        statements: [{ sql: 'CREATE TABLE u (v TEXT)' }, { sql: 'INSERT INTO missing VALUES (1)' }],
        userVersion: 3,
      }),
      (error) => isDatabaseHostError(error, 'SQL_ERROR'),
    );
    assert.equal(await version(), 2);
    const tables = await host.execute('versioned', {
      statements: [{ sql: "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name" }],
    });
    assert.deepEqual(tables.results[0]!.rows, [['t']]);
    for (const bad of [
      { userVersion: 1.5 },
      { userVersion: 2 ** 31 },
      { userVersion: 4, transaction: false },
    ]) {
      await assert.rejects(
        host.execute('versioned', { statements: [{ sql: 'SELECT 1' }], ...bad }),
        (error) => isDatabaseHostError(error, 'INVALID_REQUEST'),
      );
    }
    // Clients still cannot write it themselves.
    await assert.rejects(
      host.execute('versioned', { statements: [{ sql: 'PRAGMA user_version = 9' }] }),
      (error) => isDatabaseHostError(error, 'FORBIDDEN_STATEMENT'),
    );
    const copy = path.join(files, 'versioned-copy.sqlite');
    await host.copyCheckpointed('versioned', copy);
    assert.equal(fileUserVersion(copy), 2);
    fs.writeFileSync(path.join(files, 'empty.sqlite'), '');
    assert.equal(fileUserVersion(path.join(files, 'empty.sqlite')), 0);
  });

  it('keeps the data across a close and a new host on the same directory', async () => {
    const first = tempHost();
    await first.create('durable');
    await first.execute('durable', {
      statements: [{ sql: 'CREATE TABLE t (v TEXT)' }, { sql: "INSERT INTO t VALUES ('kept')" }],
    });
    await first.close();
    await assert.rejects(first.execute('durable', { statements: [{ sql: 'SELECT 1' }] }), (error) =>
      isDatabaseHostError(error, 'HOST_CLOSED'),
    );
    const second = tempHost({ directory: first.directory, hosts: 3 });
    const { results } = await second.execute('durable', { statements: [{ sql: 'SELECT v FROM t' }] });
    assert.deepEqual(results[0]!.rows, [['kept']]);
  });
});
