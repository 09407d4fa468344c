import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestDatabase, type TestDatabase } from '../src/testkit/database.js';
import { nodeScriptArgs } from '../src/testkit/node-script.js';

const SERVER = new URL('./support/log-burst-server.ts', import.meta.url).pathname;
const REQUESTS = 2000;

interface Running {
  child: ChildProcess;
  port: number;
  lines: Record<string, unknown>[];
  exited: Promise<number | null>;
  /** Resolves when the child's stdout has ended: every line it wrote has been read. */
  drained: Promise<void>;
}

/** Starts the server with its stdout (the log) read by the test, until `pause()`. */
async function start(database: TestDatabase, dataDir: string): Promise<Running> {
  const child = spawn(process.execPath, nodeScriptArgs(SERVER), {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: {
      ...process.env,
      LOG_LEVEL: 'info',
      DATABASE_URL: database.url,
      TRUSTPLANE_DATA_DIR: dataDir,
    },
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const lines: Record<string, unknown>[] = [];
  const reader = createInterface({ input: child.stdout! });
  const drained = new Promise<void>((resolve) => reader.once('close', resolve));
  const port = await new Promise<number>((resolve, reject) => {
    reader.on('line', (text) => {
      const line = JSON.parse(text) as Record<string, unknown>;
      lines.push(line);
      if (typeof line.port === 'number') resolve(line.port);
    });
    exited.then((code) => reject(new Error(`server exited (${code}) before listening`)));
  });
  return { child, port, lines, exited, drained };
}

/** `count` requests over a few keep-alive connections, each with its own request id. */
async function burst(port: number, count: number): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const one = (index: number) =>
    new Promise<void>((resolve, reject) => {
      const request = http.get(
        { host: '127.0.0.1', port, path: '/ping', agent, headers: { 'x-request-id': `burst-${index}` } },
        (response) => {
          response.resume();
          response.on('end', () =>
            response.statusCode === 200 ? resolve() : reject(new Error(`status ${response.statusCode}`)),
          );
        },
      );
      request.on('error', reject);
    });
  for (let start = 0; start < count; start += 100) {
    await Promise.all(Array.from({ length: Math.min(100, count - start) }, (_, i) => one(start + i)));
  }
  agent.destroy();
}

describe('request logs at shutdown', () => {
  let database: TestDatabase;
  let dataDir: string;
  before(async () => {
    database = await createTestDatabase('request-log-shutdown');
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'trustplane-log-shutdown-'));
  });
  after(async () => {
    await database.drop();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  // The log is written asynchronously, so lines can still be queued when SIGTERM arrives; here
  // the reader of stdout is stalled (as a slow log shipper would be) while the requests are served
  // and the signal is sent, so the log is far behind when the process starts to exit. (A
  // synchronous log would not even serve the requests while its reader is stalled.)
  for (const stalledMs of [300, 3000]) {
    test(`every request's line is written before the process exits (log reader stalled ${stalledMs} ms)`, {
      timeout: 180_000,
    }, async () => {
      const server = await start(database, dataDir);
      server.child.stdout!.pause();
      await burst(server.port, REQUESTS);
      server.child.kill('SIGTERM');
      await sleep(stalledMs);
      server.child.stdout!.resume();
      assert.equal(await server.exited, 0);
      await server.drained;
      const ids = new Set(
        server.lines
          .filter((line) => line.msg === 'request completed' && line.route === '/ping')
          .map((line) => line.requestId),
      );
      assert.equal(ids.size, REQUESTS, `${REQUESTS - ids.size} request lines lost`);
      assert.ok(
        server.lines.some((line) => line.msg === 'SIGTERM: shutting down (send again to force)'),
        'the shutdown itself is logged too',
      );
    });
  }
});
