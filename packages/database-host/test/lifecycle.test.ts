import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import Database from 'libsql';
import { isDatabaseHostError } from '../src/index.js';
import { tempDirectory, tempHost } from './temp-host.js';

const sha256 = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

describe('database lifecycle: checkpoint, copy, clone, replace, remove, size', () => {
  const host = tempHost({ hosts: 2 });
  const files = tempDirectory();
  const file = (id: string) => path.join(host.directory, `${id}.sqlite`);
  const rows = async (id: string) =>
    (await host.execute(id, { statements: [{ sql: 'SELECT v FROM t ORDER BY v' }] })).results[0]!.rows.map(
      (row) => row[0],
    );

  async function seeded(id: string, values: string[]) {
    await host.create(id);
    await host.execute(id, {
      statements: [
        { sql: 'CREATE TABLE t (v TEXT)' },
        ...values.map((v) => ({ sql: 'INSERT INTO t VALUES (?)', params: [v] })),
      ],
    });
  }

  it('checkpoints the WAL into the file (TRUNCATE) and counts file + WAL in sizeBytes', async () => {
    await seeded('ckpt', ['a', 'b']);
    const walBytes = fs.statSync(`${file('ckpt')}-wal`).size;
    assert.ok(walBytes > 0);
    assert.equal(await host.sizeBytes('ckpt'), fs.statSync(file('ckpt')).size + walBytes);
    await host.checkpoint('ckpt');
    assert.equal(fs.statSync(`${file('ckpt')}-wal`).size, 0);
    assert.equal(await host.sizeBytes('ckpt'), fs.statSync(file('ckpt')).size);
    assert.deepEqual(await rows('ckpt'), ['a', 'b']);
    await assert.rejects(host.sizeBytes('nope'), (error) => isDatabaseHostError(error, 'DATABASE_NOT_FOUND'));
  });

  it('copies a checkpointed file with its size and SHA-256; the copy opens on its own with the data', async () => {
    await seeded('backup-src', ['x', 'y', 'z']);
    const destination = path.join(files, 'backup.sqlite');
    const copy = await host.copyCheckpointed('backup-src', destination);
    assert.equal(copy.sizeBytes, fs.statSync(destination).size);
    assert.equal(copy.sha256, sha256(destination));
    assert.equal(copy.sha256, sha256(file('backup-src')));
    const standalone = new Database(destination);
    assert.deepEqual(standalone.prepare('SELECT v FROM t ORDER BY v').raw(true).all([]), [
      ['x'],
      ['y'],
      ['z'],
    ]);
    standalone.close();
  });

  it('clones a database into an independent one; writes to the clone never reach the source', async () => {
    await seeded('parent', ['p1', 'p2']);
    const { sizeBytes } = await host.clone('parent', 'branch');
    assert.equal(sizeBytes, fs.statSync(file('branch')).size);
    assert.deepEqual(await rows('branch'), ['p1', 'p2']);
    await host.execute('branch', { statements: [{ sql: "INSERT INTO t VALUES ('b-only')" }] });
    await host.execute('parent', { statements: [{ sql: "INSERT INTO t VALUES ('p-only')" }] });
    assert.deepEqual(await rows('branch'), ['b-only', 'p1', 'p2']);
    assert.deepEqual(await rows('parent'), ['p-only', 'p1', 'p2']);
    await assert.rejects(host.clone('parent', 'branch'), (error) =>
      isDatabaseHostError(error, 'DATABASE_EXISTS'),
    );
    await assert.rejects(host.clone('ghost', 'branch2'), (error) =>
      isDatabaseHostError(error, 'DATABASE_NOT_FOUND'),
    );
    await assert.rejects(host.clone('parent', '../x'), (error) =>
      isDatabaseHostError(error, 'INVALID_DATABASE_ID'),
    );
    assert.deepEqual(
      fs.readdirSync(host.directory).filter((name) => name.includes('.clone-')),
      [],
    );
  });

  it('replaces a live file atomically with a backup: the live file then hashes to the backup', async () => {
    await seeded('restore-me', ['before']);
    const backupPath = path.join(files, 'restore-backup.sqlite');
    const backup = await host.copyCheckpointed('restore-me', backupPath);
    await host.execute('restore-me', { statements: [{ sql: "INSERT INTO t VALUES ('after')" }] });
    assert.deepEqual(await rows('restore-me'), ['after', 'before']);

    // Not a SQLite file: refused, live file untouched.
    const junk = path.join(files, 'junk.bin');
    fs.writeFileSync(junk, 'definitely not sqlite');
    await assert.rejects(host.replace('restore-me', junk), (error) =>
      isDatabaseHostError(error, 'INVALID_REQUEST'),
    );
    assert.deepEqual(await rows('restore-me'), ['after', 'before']);

    await host.replace('restore-me', backupPath);
    assert.equal(fs.existsSync(backupPath), false, 'the source file is moved into place');
    assert.deepEqual(await rows('restore-me'), ['before']);
    assert.equal(sha256(file('restore-me')), backup.sha256);
    // Still a live, writable WAL database.
    await host.execute('restore-me', { statements: [{ sql: "INSERT INTO t VALUES ('again')" }] });
    assert.deepEqual(await rows('restore-me'), ['again', 'before']);
    await assert.rejects(host.replace('ghost', junk), (error) =>
      isDatabaseHostError(error, 'DATABASE_NOT_FOUND'),
    );
  });

  it('removes a database and its WAL; a new one of the same id starts empty', async () => {
    await seeded('doomed', ['gone']);
    assert.deepEqual(await host.remove('doomed'), { removed: true });
    for (const suffix of ['', '-wal', '-shm'])
      assert.equal(fs.existsSync(`${file('doomed')}${suffix}`), false);
    await assert.rejects(host.execute('doomed', { statements: [{ sql: 'SELECT 1' }] }), (error) =>
      isDatabaseHostError(error, 'DATABASE_NOT_FOUND'),
    );
    assert.deepEqual(await host.remove('doomed'), { removed: false });
    assert.equal(await host.exists('doomed'), false);
    await host.create('doomed');
    const { results } = await host.execute('doomed', {
      statements: [{ sql: "SELECT count(*) FROM sqlite_schema WHERE name = 't'" }],
    });
    assert.deepEqual(results[0]!.rows, [[0]]);
  });
});
