// The scale lane's topology, started once for the whole lane by `scripts/test-scale.mjs`:
// PostgreSQL, RabbitMQ, Redis, S3 and an SMTP capture, two `trustplane start` processes with the
// same environment on different ports, and haproxy in front of each service's pair of ports. The
// test files reach it through a small control server on loopback (`SCALE_CONTROL_URL`): the
// topology, killing and restarting an instance, and the mails the SMTP server accepted.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort, resolvePorts } from '@trustplane/kernel';
import { type ExternalServer, startRabbitMq, startRedisServer } from '@trustplane/kernel/testkit';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { loadServices } from '../../../packages/cli/src/services.js';
import {
  type BalancedService,
  missingPrerequisites,
  type PostgresServer,
  type S3Server,
  startHaproxy,
  startPostgres,
  startS3,
} from './servers.js';
import { type CapturedMail, HEALTH_PATHS, type Topology } from './topology.js';

const allServices = await loadServices();

const run = promisify(execFile);

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const cli = path.join(root, 'packages/cli/bin/trustplane.js');

function portVariable(service: string, listener: string): string {
  return listener === 'http'
    ? `${service.toUpperCase()}_PORT`
    : `${service.toUpperCase()}_${listener.toUpperCase()}_PORT`;
}

/** `account`, `notification_grpc`, …: one balanced port per service listener. */
function listenerKeys(): { key: string; service: string; listener: string }[] {
  return allServices.flatMap((service) =>
    Object.keys(resolvePorts(service.name, service.ports, {})).map((listener) => ({
      key: listener === 'http' ? service.name : `${service.name}_${listener}`,
      service: service.name,
      listener,
    })),
  );
}

/** Recipients whose mail the SMTP server holds (DATA unanswered) until `/smtp/release`. */
const HOLD_PREFIX = 'hold-';

/**
 * The lane's SMTP server. Mail to `hold-…` is held: its DATA is read but not answered until
 * released, so the instance sending it has taken the delivery off RabbitMQ and not acknowledged
 * it; a held session cut by its sender's death is noted as `aborted` and its mail never accepted.
 */
async function startSmtpCapture(received: CapturedMail[], held: HeldSession[]) {
  const releases = new Set<() => void>();
  const closed = new Map<string, () => void>();
  const releasedAll = { value: false };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      simpleParser(stream).then(async (mail) => {
        const recipients = session.envelope.rcptTo.map((recipient) => recipient.address);
        if (recipients.some((to) => to.startsWith(HOLD_PREFIX)) && !releasedAll.value) {
          const entry: HeldSession = { to: recipients, remotePort: session.remotePort, state: 'held' };
          held.push(entry);
          const aborted = new Promise<'aborted'>((resolve) =>
            closed.set(session.id, () => resolve('aborted')),
          );
          const released = new Promise<'released'>((resolve) => {
            const release = () => resolve('released');
            releases.add(release);
          });
          const outcome = await Promise.race([aborted, released]);
          entry.state = outcome;
          if (outcome === 'aborted') return;
        }
        for (const to of recipients)
          received.push({
            to,
            subject: mail.subject ?? '',
            text: mail.text ?? '',
            messageId: mail.messageId ?? '',
            headers: Object.fromEntries(
              [...mail.headers.entries()].map(([name, value]) => [name, String(value)]),
            ),
            receivedAt: new Date().toISOString(),
          });
        callback();
      }, callback);
    },
    onClose(session) {
      closed.get(session.id)?.();
      closed.delete(session.id);
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    /** Answers every held mail (accepted) and holds no more. */
    release() {
      releasedAll.value = true;
      for (const release of releases) release();
      releases.clear();
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

interface HeldSession {
  to: string[];
  remotePort: number;
  state: 'held' | 'released' | 'aborted';
  /** The instance that sent it, found while its connection is open. */
  instance?: number;
}

/** Which process owns the client end of a loopback connection to `serverPort` (`ss -tnp`). */
async function connectionOwners(serverPort: number): Promise<Map<number, number>> {
  const { stdout } = await run('ss', ['-Htnp', 'state', 'established', `( dport = :${serverPort} )`]);
  const owners = new Map<number, number>();
  for (const line of stdout.split('\n')) {
    const local = /127\.0\.0\.1:(\d+)\s+127\.0\.0\.1:\d+/.exec(line)?.[1];
    const pid = /pid=(\d+)/.exec(line)?.[1];
    if (local && pid) owners.set(Number(local), Number(pid));
  }
  return owners;
}

/** `trustplane <command…> --json` with the instances' environment, as an operator runs it beside them. */
async function operatorCommand(
  env: Record<string, string>,
  baseDir: string,
  command: string[],
): Promise<Record<string, unknown>> {
  const dataDir = await fs.mkdtemp(path.join(baseDir, 'cli-'));
  const { stdout } = await run(process.execPath, [cli, ...command, '--json'], {
    cwd: root,
    env: { ...process.env, ...env, TRUSTPLANE_DATA_DIR: dataDir, LOG_LEVEL: 'silent' },
    timeout: 400_000,
  });
  return JSON.parse(stdout) as Record<string, unknown>;
}

interface Instance {
  index: number;
  env: Record<string, string>;
  dataDir: string;
  logFile: string;
  process: ChildProcess | undefined;
}

/**
 * Ready: the start's `trustplane ready` line, in what the log gained since `from` (a restarted
 * instance appends to the killed one's log); with LOG_LEVEL silent, which prints no such line,
 * every HTTP health route answering 200.
 */
async function waitForReady(
  instance: Instance,
  child: ChildProcess,
  from: number,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited: string | undefined;
  child.once('exit', (code, signal) => {
    exited = `exited with ${code ?? signal}`;
  });
  const silent = instance.env.LOG_LEVEL === 'silent';
  const healthy = async () => {
    for (const [key, route] of Object.entries(HEALTH_PATHS)) {
      if (route === undefined) continue;
      const [service, listener] = splitKey(key);
      const port = instance.env[portVariable(service, listener)];
      const ok = await fetch(`http://127.0.0.1:${port}${route}`).then(
        (response) => response.status === 200,
        () => false,
      );
      if (!ok) return false;
    }
    return true;
  };
  for (;;) {
    const log = (await fs.readFile(instance.logFile).catch(() => Buffer.alloc(0)))
      .subarray(from)
      .toString('utf8');
    if (log.includes('"msg":"trustplane ready"')) return;
    if (silent && (await healthy())) return;
    if (exited || Date.now() > deadline)
      throw new Error(`instance ${instance.index} ${exited ?? 'not ready in time'}: ${log.slice(-3000)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** `trustplane start`, every service with its workers, as an operator runs one instance. */
async function startInstance(instance: Instance): Promise<void> {
  // Appended, so a restarted instance's log follows the killed one's.
  const from = await fs.stat(instance.logFile).then(
    (stat) => stat.size,
    () => 0,
  );
  const out = openSync(instance.logFile, 'a');
  const child = spawn(process.execPath, [cli, 'start'], {
    cwd: root,
    env: { ...process.env, ...instance.env },
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  instance.process = child;
  // Generous: on a 2-core machine shared with other work, a cold start of all seven services
  // has taken minutes.
  await waitForReady(instance, child, from, 400_000);
}

async function killInstance(instance: Instance): Promise<void> {
  const child = instance.process;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  await exited;
}

async function stopInstance(instance: Instance): Promise<void> {
  const child = instance.process;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

export interface Lane {
  controlUrl: string;
  topology: Topology;
  /** Every mail the SMTP server accepted so far. */
  mails: CapturedMail[];
  /** Stops both instances, sets `overrides` in their environment and starts them again (bench/scale.ts). */
  restartInstances(overrides: Record<string, string>): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts what it can; an unavailable lane still answers, with `skip` saying which server and why.
 * `overrides` go into both instances' environment over the lane's settings (bench/scale.ts).
 */
export async function startLane(
  log: (line: string) => void,
  overrides: Record<string, string> = {},
): Promise<Lane> {
  const stops: (() => Promise<unknown>)[] = [];
  const mails: CapturedMail[] = [];
  const held: HeldSession[] = [];
  let smtp: Awaited<ReturnType<typeof startSmtpCapture>> | undefined;
  let shared: Record<string, string> = {};
  const instances: Instance[] = [];
  const baseDir = await fs.mkdtemp(path.join(os.tmpdir(), 'trustplane-scale-'));
  let topology: Topology;
  try {
    const missing = missingPrerequisites();
    if (missing.length > 0) throw new Error(`not installed: ${missing.join(', ')}`);
    const started = Date.now();
    const named = async <T extends ExternalServer>(name: string, start: Promise<T>): Promise<T> => {
      try {
        const server = await start;
        stops.unshift(() => server.stop());
        return server;
      } catch (error) {
        throw new Error(`${name} could not be started: ${(error as Error).message}`);
      }
    };
    const [postgres, rabbit, redis, s3] = await Promise.all([
      named<PostgresServer>('PostgreSQL', startPostgres()),
      named('RabbitMQ', startRabbitMq({ readyTimeoutMs: 240_000 })),
      named('Redis', startRedisServer()),
      named<S3Server>('S3 (s3rver)', startS3()),
    ]);
    const capture = await startSmtpCapture(mails, held);
    smtp = capture;
    stops.unshift(() => capture.close());
    log(`servers up in ${((Date.now() - started) / 1000).toFixed(1)} s`);

    const keys = listenerKeys();
    const balancer: Record<string, number> = {};
    for (const { key } of keys) balancer[key] = await freePort();
    shared = {
      DATABASE_URL: postgres.url,
      AMQP_URL: rabbit.url,
      REDIS_URL: redis.url,
      S3_ENDPOINT: s3.url,
      S3_BUCKET: s3.bucket,
      S3_ACCESS_KEY_ID: s3.accessKeyId,
      S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
      S3_REGION: s3.region,
      SMTP_URL: capture.url,
      // One secret for every instance: a presigned URL or a cookie made by one is good at the other.
      TRUSTPLANE_SIGNING_SECRET: randomBytes(32).toString('base64url'),
      TRUSTPLANE_HOST: '127.0.0.1',
      TRUSTPLANE_PUBLIC_HOST: '127.0.0.1',
      // Clients reach the instances through haproxy on loopback: its X-Forwarded-For is the client.
      TRUSTPLANE_TRUSTED_PROXIES: 'loopback',
      TRUSTPLANE_ALLOW_PRIVATE_WEBHOOKS: '1',
      TRUSTPLANE_JOBS_MAINTENANCE_SECONDS: '5',
      TRUSTPLANE_VISION_WORKERS: '1',
      // A killed instance's biometry job is failed over after 3 silent beats: 6 s, not 30.
      BIOMETRY_HEARTBEAT_SECONDS: '2',
      // A biometry job on a 2-core machine also serving 50 requests/s has taken over 120 s.
      BIOMETRY_JOB_TIMEOUT_SECONDS: '600',
      LOG_LEVEL: process.env.SCALE_LOG_LEVEL ?? 'info',
      ACCOUNT_PASSWORD_HASH_MEMORY_KIB: '4096',
      ACCOUNT_PASSWORD_HASH_TIME_COST: '1',
      // The lockout test makes ten failures: the progressive delay would add ~20 s.
      ACCOUNT_LOGIN_BASE_DELAY_MS: '1',
      ACCOUNT_LOGIN_MAX_DELAY_MS: '5',
      // 1 MiB per user: the quota test fills it with a few small uploads.
      MEDIA_DEFAULT_QUOTA_BYTES: '1048576',
      // A delivery cut by its instance's death is taken over once its budget (send timeout + 10 s)
      // has passed: 20 s, not 40.
      NOTIFICATION_SEND_TIMEOUT_MS: '10000',
      // A failed attempt is retried within seconds, not the default 30 s / 2 min / 8 min.
      NOTIFICATION_RETRY_DELAYS_MS: '2000,5000,10000',
      // Each service's public URL is the balancer's, as an operator sets it: links and hosted pages
      // point there, and backlex trusts that origin (better-auth refuses another one).
      ...Object.fromEntries(
        keys
          .filter(({ listener }) => listener === 'http')
          .map(({ key, service }) => [
            `${service.toUpperCase()}_PUBLIC_URL`,
            `http://127.0.0.1:${balancer[key]}`,
          ]),
      ),
      ...overrides,
    };
    for (const index of [1, 2]) {
      const env: Record<string, string> = { ...shared };
      const ports: Record<string, number> = {};
      for (const { key, service, listener } of keys) {
        ports[key] = await freePort();
        env[portVariable(service, listener)] = String(ports[key]);
      }
      const dataDir = path.join(baseDir, `instance-${index}`);
      await fs.mkdir(dataDir, { recursive: true });
      env.TRUSTPLANE_DATA_DIR = dataDir;
      instances.push({
        index,
        env,
        dataDir,
        logFile: path.join(baseDir, `instance-${index}.log`),
        process: undefined,
      });
    }
    stops.unshift(() => Promise.all(instances.map(stopInstance)));
    const instancesStarted = Date.now();
    // Both at once: the migration lock orders their migrations.
    await Promise.all([startInstance(instances[0]!), startInstance(instances[1]!)]);
    log(`two instances ready in ${((Date.now() - instancesStarted) / 1000).toFixed(1)} s`);

    const balanced: BalancedService[] = keys.map(({ key }) => ({
      name: key,
      port: balancer[key]!,
      backends: instances.map((instance) => Number(instance.env[portVariable(...splitKey(key))])),
      healthPath: HEALTH_PATHS[key],
    }));
    const haproxy = await startHaproxy(balanced);
    stops.unshift(() => haproxy.stop());
    topology = {
      skip: false,
      balancer: Object.fromEntries(keys.map(({ key }) => [key, `http://127.0.0.1:${balancer[key]}`])),
      instances: instances.map((instance) => ({
        index: instance.index,
        urls: Object.fromEntries(
          keys.map(({ key }) => [key, `http://127.0.0.1:${instance.env[portVariable(...splitKey(key))]}`]),
        ),
        logFile: instance.logFile,
      })),
      haproxyStatsUrl: haproxy.statsUrl,
      databaseUrl: postgres.url,
      redisUrl: redis.url,
      amqpUrl: rabbit.url,
      s3: {
        endpoint: s3.url,
        bucket: s3.bucket,
        accessKeyId: s3.accessKeyId,
        secretAccessKey: s3.secretAccessKey,
        region: s3.region,
      },
      env: shared,
    };
  } catch (error) {
    const reason = (error as Error).message;
    log(`scale lane unavailable: ${reason}`);
    topology = { skip: reason };
  }

  const control = http.createServer((request, response) => {
    const answer = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    const match = /^\/instances\/(\d)\/(kill|start|stop)$/.exec(request.url ?? '');
    if (request.method === 'GET' && request.url === '/topology') return answer(200, topology);
    if (request.method === 'GET' && request.url === '/mails') return answer(200, mails);
    if (request.method === 'GET' && request.url === '/smtp/held') {
      // Each held mail with the instance that sent it (by the process owning the connection).
      const port = smtp?.port ?? 0;
      connectionOwners(port).then(
        (owners) => {
          for (const entry of held) {
            const pid = owners.get(entry.remotePort);
            entry.instance ??= instances.find((candidate) => candidate.process?.pid === pid)?.index;
          }
          answer(
            200,
            held.map((entry) => ({ to: entry.to, state: entry.state, instance: entry.instance ?? null })),
          );
        },
        (error: Error) => answer(500, { error: error.message }),
      );
      return;
    }
    if (request.method === 'POST' && request.url === '/smtp/release') {
      smtp?.release();
      return answer(200, { ok: true });
    }
    if (request.method === 'POST' && request.url === '/biometry-key') {
      operatorCommand(shared, baseDir, ['biometry', 'key', 'create', '--name', 'scale-lane']).then(
        (created) => answer(200, { key: created.key }),
        (error: Error) => answer(500, { error: error.message }),
      );
      return;
    }
    if (request.method === 'POST' && request.url === '/verifact-key') {
      // A tenant of its own and a key for it, with `trustplane verifact tenant create` and `key create`.
      const code = `SCALE_${randomBytes(4).toString('hex').toUpperCase()}`;
      operatorCommand(shared, baseDir, [
        'verifact',
        'tenant',
        'create',
        '--code',
        code,
        '--name',
        'Scale lane',
      ])
        .then(() =>
          operatorCommand(shared, baseDir, [
            'verifact',
            'key',
            'create',
            '--tenant',
            code,
            '--scopes',
            'claims:read,claims:write,users:write',
            '--name',
            'scale-lane',
          ]),
        )
        .then(
          (created) => answer(200, { tenant: code, key: created.key }),
          (error: Error) => answer(500, { error: error.message }),
        );
      return;
    }
    if (request.method === 'GET' && request.url === '/instances')
      return answer(
        200,
        instances.map((instance) => ({
          index: instance.index,
          pid:
            instance.process?.exitCode === null && instance.process.signalCode === null
              ? instance.process.pid
              : null,
        })),
      );
    if (request.method === 'POST' && match) {
      const instance = instances[Number(match[1]) - 1];
      if (!instance) return answer(404, { error: 'no such instance' });
      const action = match[2] === 'kill' ? killInstance : match[2] === 'stop' ? stopInstance : startInstance;
      action(instance).then(
        () => answer(200, { ok: true }),
        (error: Error) => answer(500, { error: error.message }),
      );
      return;
    }
    answer(404, { error: 'unknown' });
  });
  await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', resolve));
  return {
    controlUrl: `http://127.0.0.1:${(control.address() as AddressInfo).port}`,
    topology,
    mails,
    async restartInstances(overrides) {
      await Promise.all(instances.map(stopInstance));
      for (const instance of instances) Object.assign(instance.env, overrides);
      await Promise.all(instances.map(startInstance));
    },
    async stop() {
      await new Promise<void>((resolve) => control.close(() => resolve()));
      for (const stop of stops) await stop().catch((error: Error) => log(`stop failed: ${error.message}`));
      if (process.env.SCALE_KEEP_LOGS) log(`logs kept in ${baseDir}`);
      else await fs.rm(baseDir, { recursive: true, force: true });
    },
  };
}

function splitKey(key: string): [string, string] {
  const [service, listener] = key.split('_');
  return [service!, listener ?? 'http'];
}
