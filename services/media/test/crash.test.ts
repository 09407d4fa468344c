import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createPool } from '@trustplane/kernel';
import { createTestDatabase, type TestDatabase, eventually } from '@trustplane/kernel/testkit';
import { FakeAccount, ISSUER } from './support/harness.js';
import { type MediaProcess, startMediaProcess } from './support/media-process.js';

const GRACE_MS = 300;

let account: FakeAccount;
let database: TestDatabase;
let dataDir: string;
const children = new Set<MediaProcess>();

before(async () => {
  account = await FakeAccount.start();
  database = await createTestDatabase('media_crash');
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'media-crash-'));
});
after(async () => {
  for (const child of children) await child.kill();
  await account?.close();
  await database?.drop();
  await fs.rm(dataDir, { recursive: true, force: true });
});

async function startServer(): Promise<MediaProcess> {
  const server = await startMediaProcess({
    DATABASE_URL: database.url,
    TRUSTPLANE_DATA_DIR: dataDir,
    ACCOUNT_SERVICE_URL: account.url,
    JWT_ISSUER: ISSUER,
    MEDIA_ORPHAN_GRACE_MS: String(GRACE_MS),
  });
  children.add(server);
  server.process.once('exit', () => children.delete(server));
  return server;
}

const stagingDir = () => path.join(dataDir, 'objects', 'media', '.staging');

async function listFiles(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isFile()).map((entry) => path.join(entry.parentPath, entry.name));
}

async function query(text: string): Promise<Record<string, unknown>[]> {
  const pool = createPool({ url: database.url, schema: 'media', max: 1 });
  try {
    return (await pool.query(text)).rows;
  } finally {
    await pool.end();
  }
}

describe('crash mid-upload', () => {
  test('kill -9 while streaming, restart: no row, no staged file, no blob', async () => {
    const first = await startServer();
    const token = await account.token();
    const boundary = 'crashboundary';
    const request = http.request({
      host: '127.0.0.1',
      port: first.port,
      method: 'POST',
      path: '/upload',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': `multipart/form-data; boundary=${boundary}`,
        'transfer-encoding': 'chunked',
      },
    });
    request.on('error', () => undefined); // the server dies under it
    request.write(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`,
    );
    // A few MiB of a body that never ends: in flight until the kill.
    request.write(Buffer.alloc(4 * 1024 * 1024, 0x5a));
    const staged = await eventually(
      async () => {
        const files = await listFiles(stagingDir());
        for (const file of files) {
          const stats = await fs.stat(file).catch(() => undefined);
          if (stats && stats.size > 0) return file;
        }
        return undefined;
      },
      'a staged file with bytes in it',
      60_000,
    );
    assert.equal((await query('SELECT 1 FROM pending_uploads')).length, 1, 'the upload intent is recorded');
    await first.kill();
    request.destroy();
    // The crash left its traces behind: the staged bytes and the intent.
    await fs.access(staged);
    assert.equal((await query('SELECT 1 FROM media')).length, 0);

    // Time passes beyond the grace period (nobody writes to the staged file any more).
    await new Promise((resolve) => setTimeout(resolve, GRACE_MS * 2));
    const second = await startServer();
    try {
      assert.deepEqual(await listFiles(stagingDir()), [], 'no staged file survives the restart');
      assert.equal((await query('SELECT 1 FROM media')).length, 0, 'no row');
      assert.equal((await query('SELECT 1 FROM pending_uploads')).length, 0, 'intent resolved');
      assert.deepEqual(await listFiles(path.join(dataDir, 'objects', 'media', 'originals')), [], 'no blob');

      // And the restarted service works.
      const body = Buffer.concat([
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="ok.txt"\r\nContent-Type: text/plain\r\n\r\n`,
        ),
        Buffer.from('after the crash'),
        Buffer.from(`\r\n--${boundary}--\r\n`),
      ]);
      const response = await fetch(`http://127.0.0.1:${second.port}/upload`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': `multipart/form-data; boundary=${boundary}`,
        },
        body,
      });
      assert.equal(response.status, 201);
    } finally {
      await second.kill();
    }
  });

  test('a client that goes away mid-upload leaves nothing behind, without a restart', async () => {
    const server = await startServer();
    try {
      const token = await account.token();
      const boundary = 'abortboundary';
      const request = http.request({
        host: '127.0.0.1',
        port: server.port,
        method: 'POST',
        path: '/upload',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': `multipart/form-data; boundary=${boundary}`,
          'transfer-encoding': 'chunked',
        },
      });
      request.on('error', () => undefined);
      request.write(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="gone.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`,
      );
      request.write(Buffer.alloc(4 * 1024 * 1024, 0x33));
      await eventually(
        async () => ((await listFiles(stagingDir())).length > 0 ? true : undefined),
        'a staged file',
        60_000,
      );
      request.destroy();
      await eventually(
        async () => ((await listFiles(stagingDir())).length === 0 ? true : undefined),
        'the staged file to be removed',
        60_000,
      );
      await eventually(
        async () => ((await query('SELECT 1 FROM pending_uploads')).length === 0 ? true : undefined),
        'the intent to be dropped',
        60_000,
      );
      assert.deepEqual(await query("SELECT 1 FROM media WHERE original_name = 'gone.bin'"), []);
    } finally {
      await server.kill();
    }
  });

  test('a blob committed just before the crash, without its row, is removed on restart', async () => {
    // The window between the store's rename and the row's commit: simulate a process dying there.
    const key = 'originals/ab/abababab-0000-4000-8000-000000000000';
    const blob = path.join(dataDir, 'objects', 'media', ...key.split('/'));
    await fs.mkdir(path.dirname(blob), { recursive: true });
    await fs.writeFile(blob, 'orphan');
    await query(
      `INSERT INTO pending_uploads (storage_path, owner_id, started_at) VALUES ('${key}', 'someone', now() - interval '1 hour')`,
    );
    const server = await startServer();
    try {
      await assert.rejects(fs.access(blob));
      assert.equal((await query('SELECT 1 FROM pending_uploads')).length, 0);
    } finally {
      await server.kill();
    }
  });
});
