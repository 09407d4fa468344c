import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeStatement, isDatabaseHostError, splitStatements, tokenizeSql } from '../src/index.js';
import { tempHost } from './temp-host.js';

const refused = (code: string) => (error: unknown) => isDatabaseHostError(error) && error.code === code;

describe('statement rules (tokenizer)', () => {
  it('finds one statement whatever hides in comments, strings and quoted names', () => {
    for (const sql of [
      "SELECT ';' AS a -- ; ATTACH 'x' AS y\n",
      'SELECT 1 /* ; DETACH y; */ ;',
      'SELECT "a;b" FROM [c;d] JOIN `e;f` ON 1;;  ',
      "INSERT INTO t VALUES ('it''s; fine')",
      'CREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE t SET v = CASE WHEN 1 THEN 2 END; DELETE FROM u; END;',
    ]) {
      assert.equal(splitStatements(tokenizeSql(sql)).length, 1, sql);
      assert.doesNotThrow(() => analyzeStatement(sql), sql);
    }
  });

  it('refuses a second statement, however it is hidden', () => {
    for (const sql of [
      'SELECT 1; SELECT 2',
      "SELECT 'x'; DROP TABLE t",
      'SELECT 1 /* c */; -- c\n ATTACH DATABASE "f" AS g',
      'CREATE TRIGGER tr AFTER INSERT ON t BEGIN DELETE FROM u; END; DROP TABLE t',
    ]) {
      assert.throws(() => analyzeStatement(sql), refused('MULTIPLE_STATEMENTS'), sql);
    }
    assert.throws(
      () => analyzeStatement('  -- only a comment\n /* and another */ ; '),
      refused('EMPTY_STATEMENT'),
    );
  });

  it('refuses ATTACH, DETACH, VACUUM, transaction control and PRAGMAs that set anything', () => {
    for (const sql of [
      "ATTACH DATABASE '/etc/passwd' AS p",
      "  /* hidden */ attach 'x' as y",
      'DETACH y',
      'VACUUM',
      "VACUUM INTO '/tmp/copy.db'",
      'EXPLAIN VACUUM',
      'BEGIN',
      'COMMIT',
      'END TRANSACTION',
      'ROLLBACK',
      'SAVEPOINT s',
      'RELEASE s',
      'PRAGMA journal_mode = DELETE',
      'PRAGMA synchronous=OFF',
      'PRAGMA main.wal_autocheckpoint = 1000',
      'PRAGMA foreign_keys = off',
      'PRAGMA writable_schema = 1',
      'PRAGMA wal_checkpoint(TRUNCATE)',
      'PRAGMA database_list',
      'PRAGMA user_version = 3',
      'PRAGMA "journal_mode" = memory',
      'PRAGMA journal_mode(OFF)',
      'PRAGMA optimize',
    ]) {
      assert.throws(() => analyzeStatement(sql), refused('FORBIDDEN_STATEMENT'), sql);
    }
  });

  it('lets read-only PRAGMAs and ordinary statements through', () => {
    for (const sql of [
      'PRAGMA table_info(items)',
      'PRAGMA main.index_list("items")',
      'PRAGMA user_version',
      'PRAGMA foreign_key_check',
      'SELECT \'ATTACH\' AS word, "vacuum" FROM vacuum_log',
      'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 3) SELECT x FROM c',
      'EXPLAIN QUERY PLAN SELECT 1',
    ]) {
      assert.doesNotThrow(() => analyzeStatement(sql), sql);
    }
  });

  it('counts placeholders outside strings and comments', () => {
    const analyzed = analyzeStatement("SELECT ?, ':not', :name, @other -- ?\n, ?5, :name");
    assert.equal(analyzed.parameters.hasAnonymous, true);
    assert.deepEqual([...analyzed.parameters.named], [':name', '@other', '?5']);
    assert.equal(analyzed.parameters.positionalCount, 5);
  });
});

describe('statement rules through the host', () => {
  const host = tempHost({ hosts: 1 });

  it('answers forbidden and multiple statements with typed errors and changes nothing', async () => {
    await host.create('rules');
    await host.execute('rules', { statements: [{ sql: 'CREATE TABLE t (v INTEGER)' }] });
    await assert.rejects(
      host.execute('rules', {
        statements: [{ sql: 'INSERT INTO t VALUES (1)' }, { sql: "ATTACH DATABASE 'other.db' AS o" }],
      }),
      (error) =>
        refused('FORBIDDEN_STATEMENT')(error) &&
        (error as { details: { statementIndex: number } }).details.statementIndex === 1,
    );
    await assert.rejects(
      host.execute('rules', { statements: [{ sql: 'INSERT INTO t VALUES (2); DELETE FROM t' }] }),
      refused('MULTIPLE_STATEMENTS'),
    );
    await assert.rejects(
      host.execute('rules', { statements: [{ sql: 'PRAGMA foreign_keys = OFF' }] }),
      refused('FORBIDDEN_STATEMENT'),
    );
    await assert.rejects(host.execute('rules', { statements: [] }), refused('INVALID_REQUEST'));
    const { results } = await host.execute('rules', { statements: [{ sql: 'SELECT count(*) FROM t' }] });
    assert.deepEqual(results[0]!.rows, [[0]]);
    // SQLite's own guard stays on: extensions cannot be loaded from SQL.
    await assert.rejects(
      host.execute('rules', { statements: [{ sql: "SELECT load_extension('/tmp/x.so')" }] }),
      refused('SQL_ERROR'),
    );
  });

  it('checks parameters before libsql sees them (it aborts the process on some)', async () => {
    await host.create('params');
    const run = (sql: string, params: unknown) =>
      host.execute('params', { statements: [{ sql, params: params as never }] });
    await assert.rejects(run('SELECT ?', { a: 1 }), refused('INVALID_PARAMS'));
    await assert.rejects(run('SELECT ?, ?', [1]), refused('INVALID_PARAMS'));
    await assert.rejects(run('SELECT ?', [1, 2]), refused('INVALID_PARAMS'));
    await assert.rejects(run('SELECT :a', {}), refused('INVALID_PARAMS'));
    await assert.rejects(run('SELECT :a', { a: 1, b: 2 }), refused('INVALID_PARAMS'));
    await assert.rejects(run('SELECT ?', [{ nested: true }]), refused('INVALID_PARAMS'));
    await assert.rejects(run('SELECT ?', [Number.NaN]), refused('INVALID_PARAMS'));
    await assert.rejects(run('SELECT ?', [undefined]), refused('INVALID_PARAMS'));
    const { results } = await host.execute('params', {
      statements: [
        { sql: 'SELECT ?, ?', params: [true, false] },
        { sql: 'SELECT :a, @a, $a', params: { a: 'x' } },
      ],
    });
    assert.deepEqual(results[0]!.rows, [[1, 0]]);
    // The host process survived all of the above.
    assert.deepEqual(results[1]!.rows, [['x', 'x', 'x']]);
  });
});
