/**
 * notification benchmarks, each against a baseline measured in the same run:
 * 1. GetNotification through the service's gRPC stack vs a bare @grpc/grpc-js server running the
 *    same two SELECTs on the same pool, 64 calls in flight (target ≥ 0.8). The two alternate in
 *    one-second windows (bare, service, service, bare, …): on a shared machine whose load drifts,
 *    the median of the windows' ratios is the figure, the totals are printed beside it.
 * 2. 5,000 emails by CreateBulkNotification (5 × 1,000) to the `.eml` sink: deliveries/s and
 *    creation → delivery p50/p99, beside the kernel mailer (nodemailer) writing the same number of
 *    mails directly, 16 at a time, in rounds that alternate which goes first, so drifting load
 *    weighs on both (targets ≥ 200/s and ≥ 0.5 of direct; the median round ratio is the figure).
 *
 * Both run at each log level in turn (default `info`, what users run, then `silent`), a fresh
 * platform each (its log to a file, as to a log collector), each level's windows and rounds
 * interleaved with its baseline's.
 *
 *   npx tsx bench/notification.ts [--seconds 10] [--emails 5000] [--rounds 3] [--skip-get] [--log-levels info,silent]
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { createMailer, freePort, loadPlatformConfig, Platform } from '@trustplane/kernel';
import type { NotificationServiceClient } from '../services/notification/src/grpc/generated/notification/NotificationService.js';
import {
  loadNotificationProto,
  startGrpcServer,
  toNotificationMessage,
} from '../services/notification/src/grpc/grpc-server.js';
import { notificationRuntime, notificationService } from '../services/notification/src/index.js';
import { benchLogLevels, fileLogger, type LogLevel } from './support/log-levels.js';
import { untilDelivered } from './support/until-delivered.js';
import { median, percentile, spread } from './support/statistics.js';
import { numberArgument } from './support/arguments.js';

const SECONDS = numberArgument('seconds', 10);
const EMAILS = numberArgument('emails', 5000);
const ROUNDS = numberArgument('rounds', 3);
/** --skip-get: the email rounds only. */
const SKIP_GET = process.argv.includes('--skip-get');
const IN_FLIGHT = 64;
const loadAtStart = os.loadavg()[0] ?? 0;

function unary<T>(client: NotificationServiceClient, method: string, request: object): Promise<T> {
  return new Promise((resolve, reject) => {
    (client as unknown as Record<string, (r: object, cb: (e: Error | null, v: T) => void) => void>)[
      method
    ]!.call(client, request, (error, value) => (error ? reject(error) : resolve(value)));
  });
}

const LOG_LEVELS = benchLogLevels();
const logDir = await fs.mkdtemp(path.join(os.tmpdir(), 'trustplane-bench-notification-logs-'));

/** Each benchmark's median ratio (and spread) at one log level. */
interface Figures {
  level: LogLevel;
  get?: string;
  email?: string;
}

/** Both benchmarks with the service at `level`; prints its figures. */
async function runAt(level: LogLevel): Promise<Figures> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'trustplane-bench-notification-'));
  const env = { ...process.env, LOG_LEVEL: level, TRUSTPLANE_DATA_DIR: dataDir };
  const log = fileLogger(level, path.join(logDir, `${level}.log`));
  const platform = await Platform.open({
    config: loadPlatformConfig(env),
    role: 'server',
    logger: log.logger,
  });
  await platform.migrate([notificationService]);
  const context = platform.createContext(notificationService, notificationService.ports.http);
  const runtime = notificationRuntime(context);
  runtime.defineJobs();
  await platform.startBackground();
  const workers = await runtime.startWorkers();
  const service = await startGrpcServer(runtime, await freePort(), notificationService.version);

  // The bare server: same proto, same pool, the same two queries, no catalogue, no checks.
  const pool = context.database().pool;
  const bare = new grpc.Server();
  bare.addService(loadNotificationProto().notification.NotificationService.service, {
    GetNotification: (
      call: grpc.ServerUnaryCall<{ notification_id: string }, unknown>,
      callback: grpc.sendUnaryData<unknown>,
    ) => {
      const id = call.request.notification_id;
      Promise.all([
        pool.query('SELECT * FROM notifications WHERE id = $1', [id]),
        pool.query('SELECT * FROM notification_recipients WHERE notification_id = $1 ORDER BY position', [
          id,
        ]),
      ]).then(
        ([row, recipients]) =>
          callback(null, toNotificationMessage({ row: row.rows[0], recipients: recipients.rows })),
        (error: Error) => callback({ code: grpc.status.INTERNAL, details: error.message }),
      );
    },
  } as never);
  const barePort = await new Promise<number>((resolve, reject) =>
    bare.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, port) =>
      error ? reject(error) : resolve(port),
    ),
  );

  const Client = loadNotificationProto().notification.NotificationService;
  const serviceClient = new Client(`127.0.0.1:${service.port}`, grpc.credentials.createInsecure());
  const bareClient = new Client(`127.0.0.1:${barePort}`, grpc.credentials.createInsecure());

  // Fixtures for GetNotification: scheduled far ahead, so nothing is delivered meanwhile.
  const later = { seconds: Math.floor(Date.now() / 1000) + 86_400 };
  const fixture = await unary<{ notification_ids: string[] }>(serviceClient, 'CreateBulkNotification', {
    notifications: Array.from({ length: 200 }, (_, i) => ({
      recipients: [{ type: 'email', address: `read${i}@example.com`, name: `Reader ${i}` }],
      content: { subject: 'Read me', body: 'x'.repeat(200) },
      provider_type: 'email',
      scheduled_at: later,
    })),
  });
  const ids = fixture.notification_ids;

  async function load(client: NotificationServiceClient, seconds: number): Promise<number> {
    let done = 0;
    const until = performance.now() + seconds * 1000;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async (_, lane) => {
        for (let i = lane; performance.now() < until; i += IN_FLIGHT) {
          await unary(client, 'GetNotification', { notification_id: ids[i % ids.length] });
          done += 1;
        }
      }),
    );
    return done / seconds;
  }

  const figures: Figures = { level };
  if (!SKIP_GET) {
    await load(serviceClient, 1);
    await load(bareClient, 1);
    const windows: { service: number; bare: number }[] = [];
    for (let round = 0; round < Math.max(1, Math.round(SECONDS / 2)); round += 1) {
      // ABBA order: neither side always runs right after the other's warm-up.
      if (round % 2 === 0) {
        const bareRate = await load(bareClient, 1);
        windows.push({ bare: bareRate, service: await load(serviceClient, 1) });
      } else {
        const serviceRate = await load(serviceClient, 1);
        windows.push({ service: serviceRate, bare: await load(bareClient, 1) });
      }
    }
    const serviceRps = windows.reduce((sum, window) => sum + window.service, 0) / windows.length;
    const bareRps = windows.reduce((sum, window) => sum + window.bare, 0) / windows.length;
    const ratios = windows.map((window) => window.service / window.bare);
    console.log(
      `GetNotification, ${IN_FLIGHT} in flight: service ${serviceRps.toFixed(0)}/s, bare ${bareRps.toFixed(0)}/s, ` +
        `ratio ${median(ratios).toFixed(2)} median of ${windows.length} windows ` +
        `(${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}; totals ${(serviceRps / bareRps).toFixed(2)}) (target ≥ 0.8)`,
    );
    figures.get = `${median(ratios).toFixed(2)} (${spread(ratios, 2)})`;
  }

  // Direct baseline: the kernel mailer (nodemailer's stream transport → fsynced .eml + sidecar), 16 at
  // a time, into its own sink directory.
  const directDir = await fs.mkdtemp(path.join(os.tmpdir(), 'trustplane-bench-mail-'));
  const direct = createMailer({ dataDir: directDir, from: 'Bench <bench@localhost>' });
  async function directRun(count: number, offset: number): Promise<number> {
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        for (let i = next++; i < count; i = next++) {
          await direct.send({
            to: `direct${offset + i}@example.com`,
            subject: `Bulk ${offset + i}`,
            text: 'Hello from the bench',
          });
        }
      }),
    );
    return (performance.now() - started) / 1000;
  }

  // Through the service: CreateBulkNotification → pg-boss → delivery engine → sink.
  async function serviceRun(count: number, offset: number): Promise<{ seconds: number; created: string[] }> {
    const started = performance.now();
    const created: string[] = [];
    for (let start = 0; start < count; start += 1000) {
      const reply = await unary<{ notification_ids: string[] }>(serviceClient, 'CreateBulkNotification', {
        notifications: Array.from({ length: Math.min(1000, count - start) }, (_, i) => ({
          recipients: [{ type: 'email', address: `bulk${offset + start + i}@example.com` }],
          content: { subject: `Bulk ${offset + start + i}`, body: 'Hello from the bench' },
          provider_type: 'email',
        })),
      });
      created.push(...reply.notification_ids);
    }
    await untilDelivered(pool, created);
    return { seconds: (performance.now() - started) / 1000, created };
  }

  // Rounds alternate which side goes first (direct, service | service, direct | …): on a shared
  // machine whose load drifts, each round's ratio compares neighbours in time; the median is the figure.
  const rounds: { service: number; direct: number; created: string[] }[] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    const offset = round * EMAILS;
    if (round % 2 === 0) {
      const directSeconds = await directRun(EMAILS, offset);
      const service = await serviceRun(EMAILS, offset);
      rounds.push({
        direct: EMAILS / directSeconds,
        service: EMAILS / service.seconds,
        created: service.created,
      });
    } else {
      const service = await serviceRun(EMAILS, offset);
      const directSeconds = await directRun(EMAILS, offset);
      rounds.push({
        direct: EMAILS / directSeconds,
        service: EMAILS / service.seconds,
        created: service.created,
      });
    }
    const last = rounds.at(-1)!;
    console.log(
      `  round ${round + 1}: service ${last.service.toFixed(0)}/s, direct ${last.direct.toFixed(0)}/s, ` +
        `ratio ${(last.service / last.direct).toFixed(2)}, load ${os.loadavg()[0]?.toFixed(1)}`,
    );
  }
  await direct.close();
  await fs.rm(directDir, { recursive: true, force: true });
  const { rows: latencies } = await pool.query<{ ms: number }>(
    'SELECT extract(epoch FROM delivered_at - created_at)::float8 * 1000 AS ms FROM notifications WHERE id = ANY($1)',
    [rounds.flatMap((round) => round.created)],
  );
  const values = latencies.map((row) => row.ms);
  const emailRatios = rounds.map((round) => round.service / round.direct);
  const serviceRates = rounds.map((round) => round.service);
  const directRates = rounds.map((round) => round.direct);
  console.log(
    `${EMAILS} emails via CreateBulkNotification → sink, median of ${ROUNDS} rounds: ` +
      `${median(serviceRates).toFixed(0)}/s (${spread(serviceRates, 0)}; target ≥ 200), ` +
      `direct nodemailer ${median(directRates).toFixed(0)}/s (${spread(directRates, 0)}), ` +
      `ratio ${median(emailRatios).toFixed(2)} (${spread(emailRatios, 2)}; target ≥ 0.5); ` +
      `creation→delivery p50 ${percentile(values, 50).toFixed(0)} ms, p99 ${percentile(values, 99).toFixed(0)} ms`,
  );
  figures.email = `${median(emailRatios).toFixed(2)} (${spread(emailRatios, 2)})`;
  console.log(
    `LOG_LEVEL=${env.LOG_LEVEL}, NOTIFICATION_WORKER_CONCURRENCY=${process.env.NOTIFICATION_WORKER_CONCURRENCY ?? 'default'}, NOTIFICATION_ASYNC_COMMIT=${process.env.NOTIFICATION_ASYNC_COMMIT ?? 'unset'}, ` +
      `${os.cpus().length} cores, load average ${loadAtStart.toFixed(1)} at start, ${os.loadavg()[0]?.toFixed(1)} at end`,
  );

  serviceClient.close();
  bareClient.close();
  bare.forceShutdown();
  await service.stop();
  await workers.stop();
  await platform.close();
  await fs.rm(dataDir, { recursive: true, force: true });
  console.log(`  ${log.lines()} log lines`);
  return figures;
}

const results: Figures[] = [];
for (const level of LOG_LEVELS) {
  console.log(`\nLOG_LEVEL=${level}`);
  results.push(await runAt(level));
}
await fs.rm(logDir, { recursive: true, force: true });
console.log('');
for (const result of results) {
  console.log(
    `LOG_LEVEL=${result.level}: ` +
      (result.get ? `GetNotification service/bare ${result.get} (target ≥ 0.8), ` : '') +
      `emails service/direct ${result.email} (target ≥ 0.5)`,
  );
}
