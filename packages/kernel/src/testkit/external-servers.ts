import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../db/embedded-postgres.js';

/** A server process started for a test file, on loopback and free ports. */
export interface ExternalServer {
  url: string;
  stop(): Promise<void>;
}

/** Whether a command is on the PATH (Debian packages the lanes start: redis-server, haproxy, …). */
export function onPath(binary: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${binary}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Whether Debian's redis-server / rabbitmq-server are installed (`.ci/run` installs them). */
export const hasRedisServer = (): boolean => onPath('redis-server');
export const hasRabbitMqServer = (): boolean => onPath('rabbitmq-server');

/**
 * Resolves once the child's stdout or stderr has printed `pattern`; rejects on timeout or exit, with
 * the output's tail (and the tail of `logFile`, where the server writes its log).
 */
export async function waitForOutput(
  child: ChildProcess,
  pattern: RegExp,
  timeoutMs: number,
  logFile?: string,
): Promise<void> {
  let seen = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`server not ready after ${timeoutMs} ms: ${seen.slice(-2000)}`)),
      timeoutMs,
    );
    const check = (chunk: Buffer) => {
      seen = (seen + chunk.toString('utf8')).slice(-8000);
      if (pattern.test(seen)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', check);
    child.stderr?.on('data', check);
    child.once('exit', async (code) => {
      clearTimeout(timer);
      const log = logFile ? await fs.readFile(logFile, 'utf8').catch(() => '') : '';
      reject(new Error(`server exited with ${code}: ${seen.slice(-2000)}${log.slice(-2000)}`));
    });
  });
}

async function stopGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  process.kill(-child.pid, 'SIGTERM');
  const timer = setTimeout(() => child.pid !== undefined && process.kill(-child.pid, 'SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

export async function startRedisServer(): Promise<ExternalServer> {
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  await waitForOutput(child, /Ready to accept connections/, 15_000);
  return { url: `redis://127.0.0.1:${port}`, stop: () => stopGroup(child) };
}

/**
 * A throwaway RabbitMQ node (Debian's rabbitmq-server) with its own name, ports and data dir.
 * `readyTimeoutMs`: how long its boot may take (a loaded 2-core machine has taken over a minute).
 */
export async function startRabbitMq(options: { readyTimeoutMs?: number } = {}): Promise<ExternalServer> {
  const [port, distributionPort] = [await freePort(), await freePort()];
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'trustplane-rabbitmq-'));
  await fs.chmod(dir, 0o777);
  const name = `tp${port}@localhost`;
  const child = spawn('rabbitmq-server', [], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: dir,
    env: {
      ...process.env,
      RABBITMQ_NODENAME: name,
      RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
      RABBITMQ_NODE_PORT: String(port),
      RABBITMQ_DIST_PORT: String(distributionPort),
      RABBITMQ_MNESIA_BASE: path.join(dir, 'mnesia'),
      RABBITMQ_LOG_BASE: path.join(dir, 'log'),
      RABBITMQ_ENABLED_PLUGINS_FILE: path.join(dir, 'enabled_plugins'),
      RABBITMQ_CONFIG_FILE: path.join(dir, 'none'),
    },
  });
  const stop = async () => {
    // The wrapper script switches to the rabbitmq user, so the node is not in our process
    // group: ask it to stop, then end the wrapper and our ends of its pipes.
    await new Promise<void>((resolve) => {
      execFile('rabbitmqctl', ['-n', name, 'stop'], { timeout: 30_000 }, () => resolve());
    });
    await stopGroup(child);
    child.stdout?.destroy();
    child.stderr?.destroy();
    await fs.rm(dir, { recursive: true, force: true });
  };
  try {
    await waitForOutput(child, /completed with \d+ plugins/, options.readyTimeoutMs ?? 60_000);
  } catch (error) {
    // A node too slow to boot in time is stopped, not left running.
    await stop();
    throw error;
  }
  return { url: `amqp://guest:guest@127.0.0.1:${port}`, stop };
}
