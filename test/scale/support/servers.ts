// The external servers of the scale lane, each on loopback and free ports, each in a temp dir:
// Debian's PostgreSQL (its own cluster), RabbitMQ and Redis (the kernel test kit's starters), an
// S3-compatible server (s3rver from npm) and Debian's haproxy. None is installed here: `.ci/run`
// installs the Debian packages; a missing one is reported by `missingBinary` and its tests skip.
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import { existsSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '@trustplane/kernel';
import { type ExternalServer, onPath, waitForOutput } from '@trustplane/kernel/testkit';

const run = promisify(execFile);

/** Debian's PostgreSQL server binaries: the newest `/usr/lib/postgresql/<major>/bin`. */
export function postgresBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const majors = readdirSync(root)
    .filter((name) => /^\d+$/.test(name) && existsSync(path.join(root, name, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(b) - Number(a));
  return majors[0] === undefined ? undefined : path.join(root, majors[0], 'bin');
}

/** What is missing for the lane, as `package (binary)` reasons; empty when everything is there. */
export function missingPrerequisites(): string[] {
  const missing: string[] = [];
  if (!postgresBinDir()) missing.push('postgresql (/usr/lib/postgresql/*/bin/pg_ctl)');
  if (!onPath('rabbitmq-server')) missing.push('rabbitmq-server');
  if (!onPath('redis-server')) missing.push('redis-server');
  if (!onPath('haproxy')) missing.push('haproxy');
  return missing;
}

/** initdb refuses to run as root: the cluster belongs to Debian's `postgres` user then. */
function clusterOwner(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

export interface PostgresServer extends ExternalServer {
  /** `postgres://…/trustplane`: the platform's database. */
  url: string;
  /** The superuser's connection to the `postgres` database. */
  adminUrl: string;
}

/**
 * A PostgreSQL cluster of its own (initdb in a temp dir, pg_ctl), listening on 127.0.0.1 only,
 * trust authentication there. fsync is off: the lane kills platform instances, never the
 * database, and the disk is shared with everything else on the machine.
 */
export async function startPostgres(): Promise<PostgresServer> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL server binaries not found (Debian package postgresql)');
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'trustplane-scale-pg-'));
  const owner = clusterOwner();
  if (owner) await fs.chown(dir, owner.uid, owner.gid);
  const data = path.join(dir, 'data');
  const port = await freePort();
  const as = owner ? { uid: owner.uid, gid: owner.gid } : {};
  await run(
    path.join(bin, 'initdb'),
    ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'],
    {
      ...as,
      cwd: dir,
    },
  );
  const options = [
    `-p ${port}`,
    `-k ${dir}`,
    '-c listen_addresses=127.0.0.1',
    '-c max_connections=400',
    '-c fsync=off',
    '-c synchronous_commit=off',
    '-c full_page_writes=off',
  ].join(' ');
  await run(
    path.join(bin, 'pg_ctl'),
    ['-D', data, '-l', path.join(dir, 'server.log'), '-o', options, '-w', 'start'],
    {
      ...as,
      cwd: dir,
      timeout: 60_000,
    },
  );
  const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  await client.query('CREATE DATABASE trustplane');
  await client.end();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/trustplane`,
    adminUrl,
    async stop() {
      await run(path.join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', 'stop'], { ...as, cwd: dir }).catch(
        () => undefined,
      );
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

export interface S3Server extends ExternalServer {
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
}

/**
 * s3rver (npm), which checks each request's AWS signature v4 against its one credential pair
 * (`S3RVER` / `S3RVER`), with the platform's bucket made at start. Its own process, so the
 * instances' uploads do not share an event loop with the test runner.
 */
export async function startS3(): Promise<S3Server> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'trustplane-scale-s3-'));
  const port = await freePort();
  const bucket = 'trustplane';
  const entry = path.join(path.dirname(import.meta.filename), 's3-server.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', entry, dir, String(port), bucket], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    // Loading the server through tsx on a busy machine has taken over 30 s.
    await waitForOutput(child, /s3 ready/, 180_000);
  } catch (error) {
    await stopChild(child);
    await fs.rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url: `http://127.0.0.1:${port}`,
    bucket,
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    region: 'us-east-1',
    async stop() {
      await stopChild(child);
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

export interface BalancedService {
  name: string;
  /** Port the balancer listens on for this service. */
  port: number;
  /** Each instance's port, in instance order. */
  backends: number[];
  /** Health route checked on each backend; `undefined` → a TCP check (gRPC). */
  healthPath: string | undefined;
}

/**
 * haproxy's configuration, set for a loaded 2-core machine (docs/scaling.md, "The balancer"):
 * - round robin; each instance's health route checked every second, down after 3 failed checks
 *   and up again after 2 good ones. A killed instance refuses the check's connection at once, so
 *   it is down within ~3 s; a check may take 10 s before it fails, because a busy survivor is slow,
 *   not gone (with 3 s and then 5 s, the survivor of a kill was marked down too and haproxy answered
 *   503 for the service).
 * - a request whose connection is refused is retried on the other instance (`retries 3`,
 *   `option redispatch 1`: every retry goes elsewhere). A GET or HEAD whose instance closed the
 *   connection without an answer (killed mid-request) is retried too (`retry-on … empty-response`);
 *   any other method is not (`disable-l7-retry`): a POST may have been applied, so it fails with a
 *   502 and the client, never told it succeeded, decides.
 * `stats` serves each server's state as CSV (`/stats;csv`).
 */
export function haproxyConfig(services: BalancedService[], statsPort: number): string {
  const lines = [
    'global',
    '  maxconn 4096',
    'defaults',
    '  timeout connect 2s',
    '  timeout client 60s',
    '  timeout server 60s',
    '  timeout check 10s',
    '  retries 3',
    '  option redispatch 1',
    'listen stats',
    `  bind 127.0.0.1:${statsPort}`,
    '  mode http',
    '  stats enable',
    '  stats uri /stats',
  ];
  for (const service of services) {
    const http = service.healthPath !== undefined;
    lines.push(
      `frontend ${service.name}`,
      `  bind 127.0.0.1:${service.port}`,
      `  mode ${http ? 'http' : 'tcp'}`,
    );
    if (http) lines.push('  option forwardfor');
    lines.push(`  default_backend ${service.name}_instances`);
    lines.push(
      `backend ${service.name}_instances`,
      `  mode ${http ? 'http' : 'tcp'}`,
      '  balance roundrobin',
    );
    if (http)
      lines.push(
        `  option httpchk GET ${service.healthPath}`,
        '  http-check expect status 200',
        '  retry-on conn-failure empty-response',
        '  http-request disable-l7-retry unless METH_GET',
      );
    service.backends.forEach((port, index) => {
      lines.push(`  server i${index + 1} 127.0.0.1:${port} check inter 1s fall 3 rise 2`);
    });
  }
  return `${lines.join('\n')}\n`;
}

/** Debian's haproxy in the foreground (`-db`), configured by `haproxyConfig`. */
export async function startHaproxy(
  services: BalancedService[],
): Promise<ExternalServer & { config: string; statsUrl: string }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'trustplane-scale-haproxy-'));
  const file = path.join(dir, 'haproxy.cfg');
  const statsPort = await freePort();
  const config = haproxyConfig(services, statsPort);
  await fs.writeFile(file, config);
  await run('haproxy', ['-c', '-f', file]);
  const child = spawn('haproxy', ['-db', '-f', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  const started = new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`haproxy exited with ${code}`)));
    setTimeout(resolve, 500);
  });
  await started;
  return {
    url: `http://127.0.0.1:${services[0]?.port}`,
    config,
    statsUrl: `http://127.0.0.1:${statsPort}/stats;csv`,
    async stop() {
      await stopChild(child);
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}
