import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort, isProcessRunning } from '@trustplane/kernel';

const bin = fileURLToPath(new URL('../bin/trustplane.js', import.meta.url));

interface Started {
  child: ChildProcess;
  lines: string[];
}

/**
 * `npm start` killed with SIGKILL (say in the middle of an upload) leaves its embedded PostgreSQL
 * running. The next start must take that server over and stop it when it shuts down, while a
 * server whose owner is alive is only joined and left running.
 */
describe('embedded PostgreSQL after a crash', () => {
  let dataDir: string;
  const children: ChildProcess[] = [];
  before(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'trustplane-crash-'));
  });
  after(async () => {
    for (const child of children)
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    // Never leave a server behind, whatever failed above.
    const postmaster = readPostmaster();
    if (postmaster && isProcessRunning(postmaster.pid)) process.kill(postmaster.pid, 'SIGQUIT');
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  const env = () => ({
    ...process.env,
    LOG_LEVEL: 'info',
    TRUSTPLANE_DATA_DIR: dataDir,
    DATABASE_URL: '',
    // A loaded machine can take more than the default 10 s to stop PostgreSQL: the exit-code
    // assertions are about a graceful shutdown, not its speed.
    TRUSTPLANE_SHUTDOWN_TIMEOUT_MS: '120000',
  });

  function readPostmaster(): { pid: number; port: number } | undefined {
    const file = path.join(dataDir, 'postgres', 'postmaster.pid');
    if (!existsSync(file)) return undefined;
    const lines = readFileSync(file, 'utf8').split('\n');
    return { pid: Number(lines[0]), port: Number(lines[3]) };
  }

  async function advertised(): Promise<{ pid: number; port: number }> {
    return JSON.parse(await fs.readFile(path.join(dataDir, 'postgres.json'), 'utf8'));
  }

  async function start(port: number): Promise<Started> {
    const child = spawn(process.execPath, [bin, 'start', 'kyc', '--no-workers'], {
      env: { ...env(), KYC_PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    const lines: string[] = [];
    let errors = '';
    child.stderr!.on('data', (chunk) => {
      errors += chunk;
    });
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: child.stdout! }).on('line', (line) => {
        lines.push(line);
        if (line.includes('"trustplane ready"')) resolve();
      });
      child.once('exit', (code) =>
        reject(new Error(`start exited with ${code}: ${lines.join('\n')}${errors}`)),
      );
    });
    return { child, lines };
  }

  function exited(child: ChildProcess): Promise<number | null> {
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
    return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  async function stop(child: ChildProcess): Promise<number | null> {
    const done = exited(child);
    child.kill('SIGTERM');
    return done;
  }

  function migrate(): Promise<number | null> {
    const child = spawn(process.execPath, [bin, 'migrate', '--json'], { env: env(), stdio: 'ignore' });
    return exited(child);
  }

  const adopted = (started: Started) =>
    started.lines.some((line) => line.includes('embedded PostgreSQL adopted'));

  test('the next start adopts the orphan (one of two racing), joiners leave it, the adopter stops it', async (t) => {
    const [portA, portB, portC] = [await freePort(), await freePort(), await freePort()];
    const first = await start(portA);
    const original = readPostmaster();
    assert.ok(original && isProcessRunning(original.pid));
    assert.equal((await advertised()).pid, first.child.pid);

    const killed = exited(first.child);
    first.child.kill('SIGKILL');
    await killed;
    assert.ok(isProcessRunning(original.pid), 'SIGKILL leaves the server running: an orphan');

    // Two starts at once: both serve, exactly one adopts the orphan (no second server is started).
    const [second, third] = await Promise.all([start(portB), start(portC)]);
    assert.equal([second, third].filter(adopted).length, 1, 'exactly one process adopted the server');
    const adopter = adopted(second) ? second : third;
    const joiner = adopter === second ? third : second;
    assert.deepEqual(readPostmaster(), original, 'the same server, not a new one');
    assert.equal((await advertised()).pid, adopter.child.pid, 'postgres.json names the adopter');
    assert.equal((await advertised()).port, original.port);

    // A command line run and a second server process only join: their exit stops nothing.
    assert.equal(await migrate(), 0);
    assert.equal(await stop(joiner.child), 0);
    assert.ok(isProcessRunning(original.pid), 'a joiner leaves the server running');
    const adopterPort = adopter === second ? portB : portC;
    assert.equal((await fetch(`http://127.0.0.1:${adopterPort}/api/health`)).status, 200);

    // The adopter owns it: a clean shutdown stops PostgreSQL too.
    assert.equal(await stop(adopter.child), 0);
    assert.ok(!isProcessRunning(original.pid), 'the adopted server is stopped');
    assert.ok(
      !existsSync(path.join(dataDir, 'postgres', 'postmaster.pid')),
      'the cluster is shut down cleanly',
    );
    assert.ok(!existsSync(path.join(dataDir, 'postgres.json')), 'and no longer advertised');

    // And the data dir starts normally afterwards: a new server, not an adoption. That start is
    // also where Ctrl-C comes during start-up (one process start less than a separate test: each
    // loads every service).
    await t.test(
      'Ctrl-C during start-up stops what has started: exit 0, PostgreSQL stopped, the line logged',
      ctrlCDuringStartUp,
    );
  });

  /** Ctrl-C once the server is up, the services not yet (migrations and listeners come next). */
  async function ctrlCDuringStartUp(): Promise<void> {
    const child = spawn(process.execPath, [bin, 'start', 'kyc', '--no-workers'], {
      env: { ...env(), KYC_PORT: String(await freePort()) },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    children.push(child);
    const lines: string[] = [];
    const done = exited(child);
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: child.stdout! }).on('line', (line) => {
        lines.push(line);
        if (line.includes('embedded PostgreSQL started')) resolve();
      });
      child.once('exit', () => reject(new Error(`start exited early: ${lines.join('\n')}`)));
    });
    assert.ok(!adopted({ child, lines }), 'a new server, not an adopted one');
    const postmaster = readPostmaster();
    assert.ok(postmaster && isProcessRunning(postmaster.pid));
    child.kill('SIGINT');
    assert.equal(await done, 0, `a graceful exit, not the default signal death: ${lines.join('\n')}`);
    assert.equal(child.signalCode, null);
    assert.ok(lines.some((line) => line.includes('SIGINT: shutting down')));
    assert.ok(!isProcessRunning(postmaster.pid), 'the embedded PostgreSQL is stopped');
    assert.ok(!existsSync(path.join(dataDir, 'postgres', 'postmaster.pid')), 'cleanly');
  }
});
