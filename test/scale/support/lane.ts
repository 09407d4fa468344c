// The scale lane's topology, started once for the whole lane by `scripts/test-scale.mjs`:
// PostgreSQL, RabbitMQ, Redis, S3 and an SMTP capture, two `trustplane start` processes with the
// same environment on different ports, and haproxy in front of each service's pair of ports. The
// test files reach it through a small control server on loopback (`SCALE_CONTROL_URL`): the
// topology, killing and restarting an instance, and the mails the SMTP server accepted.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, resolvePorts } from '@trustplane/kernel';
import { type ExternalServer, startRabbitMq, startRedisServer } from '@trustplane/kernel/testkit';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { allServices } from '../../../packages/cli/src/services.js';
import {
  type BalancedService,
  missingPrerequisites,
  type PostgresServer,
  type S3Server,
  startHaproxy,
  startPostgres,
  startS3,
} from './servers.js';
import type { CapturedMail, Topology } from './topology.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const cli = path.join(root, 'packages/cli/bin/trustplane.js');

/** Each service's health route, which haproxy checks on every instance (gRPC: a TCP check). */
export const HEALTH_PATHS: Record<string, string | undefined> = {
  account: '/health',
  media: '/health',
  notification: '/health',
  notification_grpc: undefined,
  kyc: '/api/health',
  biometry: '/health',
  verifact: '/health',
  backlex: '/api/health',
};

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

async function startSmtpCapture(received: CapturedMail[]) {
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      simpleParser(stream).then((mail) => {
        for (const recipient of session.envelope.rcptTo)
          received.push({
            to: recipient.address,
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
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

interface Instance {
  index: number;
  env: Record<string, string>;
  dataDir: string;
  logFile: string;
  process: ChildProcess | undefined;
}

async function waitForReady(instance: Instance, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited: string | undefined;
  child.once('exit', (code, signal) => {
    exited = `exited with ${code ?? signal}`;
  });
  for (;;) {
    const log = await fs.readFile(instance.logFile, 'utf8').catch(() => '');
    if (log.includes('"msg":"trustplane ready"')) return;
    if (exited || Date.now() > deadline)
      throw new Error(`instance ${instance.index} ${exited ?? 'not ready in time'}: ${log.slice(-3000)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** `trustplane start`, every service with its workers, as an operator runs one instance. */
async function startInstance(instance: Instance): Promise<void> {
  // Appended, so a restarted instance's log follows the killed one's.
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
  await waitForReady(instance, child, 400_000);
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
  stop(): Promise<void>;
}

/** Starts what it can; an unavailable lane still answers, with `skip` saying which server and why. */
export async function startLane(log: (line: string) => void): Promise<Lane> {
  const stops: (() => Promise<unknown>)[] = [];
  const mails: CapturedMail[] = [];
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
    const smtp = await startSmtpCapture(mails);
    stops.unshift(() => smtp.close());
    log(`servers up in ${((Date.now() - started) / 1000).toFixed(1)} s`);

    const keys = listenerKeys();
    const shared: Record<string, string> = {
      DATABASE_URL: postgres.url,
      AMQP_URL: rabbit.url,
      REDIS_URL: redis.url,
      S3_ENDPOINT: s3.url,
      S3_BUCKET: s3.bucket,
      S3_ACCESS_KEY_ID: s3.accessKeyId,
      S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
      S3_REGION: s3.region,
      SMTP_URL: smtp.url,
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
      LOG_LEVEL: process.env.SCALE_LOG_LEVEL ?? 'info',
      ACCOUNT_PASSWORD_HASH_MEMORY_KIB: '4096',
      ACCOUNT_PASSWORD_HASH_TIME_COST: '1',
      // The lockout test makes ten failures: the progressive delay would add ~20 s.
      ACCOUNT_LOGIN_BASE_DELAY_MS: '1',
      ACCOUNT_LOGIN_MAX_DELAY_MS: '5',
      // 1 MiB per user: the quota test fills it with a few small uploads.
      MEDIA_DEFAULT_QUOTA_BYTES: '1048576',
    };
    const balancer: Record<string, number> = {};
    for (const { key } of keys) balancer[key] = await freePort();
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
