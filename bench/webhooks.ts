/**
 * Signed webhook deliveries/s through the kernel's dispatcher (each delivery recorded in
 * `platform.webhook_deliveries` in a transaction, its job sent through pg-boss, the destination
 * vetted by the SSRF guard, signed, POSTed, the attempt logged) vs raw signed `fetch` POSTs of the
 * same payload with the same signature scheme, to the same local receiver (its own process, which
 * verifies every signature), at equal concurrency: the dispatcher's job concurrency as `npm start`
 * configures it, and as many `fetch` loops. Interleaved rounds; prints deliveries/s of each, the
 * ratio (target ≥ 0.7), CPU per delivery and the machine load. The platform runs at each log level
 * in turn (default: `info`, what users run, then `silent`), a fresh platform for each, its rounds
 * interleaved with raw rounds; each level's ratio is the median of its rounds' ratios.
 *
 *   npx tsx bench/webhooks.ts [--deliveries 4000] [--rounds 4] [--log-levels info,silent]
 *
 * Rounds of 1,000 a side: shorter ones mostly time the workers waking up (a fetch and its commit).
 *
 * The receiver is on loopback, which the SSRF guard refuses by default: the platform is configured
 * as tests and local development configure it (`TRUSTPLANE_ALLOW_PRIVATE_WEBHOOKS=1`); the guard
 * still parses and resolves every destination and pins the connection to the vetted address.
 * BENCH_NODE_OPTIONS has no effect here: run the bench itself with `--cpu-prof`.
 */
import { fork } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  DELIVERY_HEADER,
  EVENT_HEADER,
  loadPlatformConfig,
  Platform,
  TIMESTAMP_HEADER,
  webhookSignatureHeader,
} from '@trustplane/kernel';
import pg from 'pg';
import { benchLogLevels, fileLogger, type LogLevel } from './support/log-levels.js';
import { median } from './support/statistics.js';
import { numberArgument } from './support/arguments.js';

const DELIVERIES = numberArgument('deliveries', 4000);
const ROUNDS = Math.max(2, numberArgument('rounds', 4));
const SECRET = 'whsec_bench_0123456789abcdef0123456789';

// A biometry `job.completed` callback: the payload a real receiver gets (≈ 1.5 KB of JSON).
const payload = {
  job_id: 'job_0123456789abcdef0123456789abcdef',
  citizen_code: 'BENCH-1',
  status: 'completed',
  outcome: 'verified',
  completed_at: '2026-12-05T01:00:00.000Z',
  processing_time_ms: 1234,
  failure_reason: null,
  cross_validations: Object.fromEntries(
    [
      'face_match',
      'mrz_check_digits',
      'last_name',
      'first_name',
      'date_of_birth',
      'gender',
      'nationality',
    ].map((name) => [name, { passed: true, expected: 'MARTIN', found: 'MARTIN', score: 0.9876 }]),
  ),
  scores: { face_similarity: 0.97, face_distance: 0.41, ocr_confidence: 0.88, ela: 0.12, moire: 0.03 },
};

const receiver = fork(new URL('./support/webhook-receiver.ts', import.meta.url).pathname, [SECRET], {
  execArgv: ['--import', 'tsx'],
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
});
const port = await new Promise<number>((resolve) =>
  receiver.once('message', (message) => resolve((message as { port: number }).port)),
);
const doneRounds = new Set<string>();
const waiters = new Map<string, () => void>();
receiver.on('message', (message: { done?: string }) => {
  if (!message.done) return;
  doneRounds.add(message.done);
  waiters.get(message.done)?.();
});
const receiverCpu = () =>
  new Promise<{ cpuMicros: number; badSignatures: number }>((resolve) => {
    const listen = (message: { cpuMicros?: number; badSignatures: number }) => {
      if (message.cpuMicros === undefined) return;
      receiver.off('message', listen);
      resolve(message as { cpuMicros: number; badSignatures: number });
    };
    receiver.on('message', listen);
    receiver.send({ cpu: true });
  });
async function expectRound(round: string, count: number): Promise<() => Promise<void>> {
  receiver.send({ expect: { round, count } });
  // The expectation reaches the receiver before any request of the round (one IPC message).
  await new Promise((resolve) => setTimeout(resolve, 20));
  return () =>
    doneRounds.has(round) ? Promise.resolve() : new Promise<void>((resolve) => waiters.set(round, resolve));
}
const url = `http://127.0.0.1:${port}/hooks`;

// The platform as `npm start` opens it (embedded PostgreSQL, the dispatcher's default settings),
// its background workers (outbox relay, webhook delivery) started as a worker process starts them;
// one per log level, in turn. Its log goes to a file in the data dir, as to a log collector.
const LOG_LEVELS = benchLogLevels();
const root = await fs.mkdtemp(path.join(os.tmpdir(), 'trustplane-bench-webhooks-'));
await fs.chmod(root, 0o755); // embedded PostgreSQL may run initdb as another user when started as root
let platform!: Platform;
let servicePool!: pg.Pool;
let postmasterPid: number | undefined;
let concurrency = 0;
async function openPlatform(level: LogLevel, dataDir: string) {
  const env = {
    ...process.env,
    TRUSTPLANE_DATA_DIR: dataDir,
    LOG_LEVEL: level,
    TRUSTPLANE_ALLOW_PRIVATE_WEBHOOKS: '1',
  };
  const log = fileLogger(level, path.join(root, `${level}.log`));
  platform = await Platform.open({ config: loadPlatformConfig(env), role: 'server', logger: log.logger });
  await platform.migrate([]);
  await platform.startBackground();
  concurrency = platform.webhooks.concurrency;
  // A service enqueues from its own pool, in its own transaction.
  servicePool = new pg.Pool({ connectionString: platform.databaseUrl, max: concurrency });
  postmasterPid = undefined;
  for (const pid of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const cmdline = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(dataDir) && cmdline.includes('postgres')) postmasterPid = Number(pid);
  }
  return log;
}

/** Runs `count` tasks, `width` at a time. */
async function inParallel(count: number, width: number, task: (index: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < count) {
        const index = next;
        next += 1;
        await task(index);
      }
    }),
  );
}

/**
 * Through the dispatcher: `count` deliveries recorded in one transaction (as a service's batch
 * would), then timed from its commit until every one is logged as delivered: the rate at which the
 * dispatcher drains its queue. The enqueueing is timed on its own.
 */
async function dispatcherRound(
  round: string,
  count: number,
  committed?: () => Promise<void>,
): Promise<{ seconds: number; enqueueSeconds: number }> {
  const received = await expectRound(round, count);
  const enqueueStart = performance.now();
  const client = await servicePool.connect();
  try {
    await client.query('BEGIN');
    for (let index = 0; index < count; index += 1) {
      await platform.webhooks.enqueue(client, {
        url,
        secret: SECRET,
        event: 'job.completed',
        owner: `bench:${round}`,
        payload,
        headers: { 'X-Bench-Round': round },
      });
    }
    await client.query('COMMIT');
  } finally {
    client.release();
  }
  const start = performance.now();
  const enqueueSeconds = (start - enqueueStart) / 1000;
  void committed?.();
  await received();
  // Delivered means recorded as delivered, attempt logged: not just received.
  for (;;) {
    const { rows } = await servicePool.query<{ pending: number }>(
      `SELECT count(*)::int AS pending FROM platform.webhook_deliveries WHERE owner = $1 AND status <> 'delivered'`,
      [`bench:${round}`],
    );
    if (rows[0]?.pending === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return { seconds: (performance.now() - start) / 1000, enqueueSeconds };
}

/** Raw: the same signed POST with `fetch` (undici, keep-alive), `concurrency` at once. */
async function rawRound(round: string, count: number): Promise<{ seconds: number }> {
  const received = await expectRound(round, count);
  const start = performance.now();
  await inParallel(count, concurrency, async (index) => {
    const body = JSON.stringify(payload);
    const timestamp = Math.floor(Date.now() / 1000);
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'User-Agent': 'bench-raw/1.0',
        [EVENT_HEADER]: 'job.completed',
        [DELIVERY_HEADER]: `${round}-${index}`,
        [TIMESTAMP_HEADER]: String(timestamp),
        'X-Trustplane-Signature': webhookSignatureHeader(SECRET, body, timestamp),
        'X-Bench-Round': round,
      },
      body,
    });
    await response.arrayBuffer();
    if (response.status !== 204) throw new Error(`receiver answered ${response.status}`);
  });
  await received();
  return { seconds: (performance.now() - start) / 1000 };
}

const cpuSeconds = () => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
};
/** CPU of everything a side uses: this process, the receiver and PostgreSQL (all its backends). */
async function systemCpuSeconds(): Promise<[number, number, number]> {
  const receiverSeconds = (await receiverCpu()).cpuMicros / 1e6;
  return [cpuSeconds(), receiverSeconds, await postgresCpuSeconds()];
}
async function postgresCpuSeconds(): Promise<number> {
  // Every process whose command line names this run's data dir (the postmaster), and its children.
  let total = 0;
  for (const pid of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const parent = Number(fields[1]);
      const postmaster = postmasterPid ?? 0;
      if (Number(pid) === postmaster || parent === postmaster)
        total += (Number(fields[11]) + Number(fields[12])) / 100;
    } catch {
      // gone meanwhile
    }
  }
  return total;
}
interface Sample {
  perSecond: number;
  /** This process, the receiver, PostgreSQL. */
  cpuMillisPerDelivery: [number, number, number];
}
interface Phase {
  level: LogLevel;
  samples: { dispatcher: Sample[]; raw: Sample[] };
  enqueueSeconds: number;
  logLines: number;
  log: { deliveries?: number; attempts?: number; delivered?: number; attemptRows?: number };
}
const phases: Phase[] = [];
const loads: number[] = [];
const perRound = Math.ceil(DELIVERIES / ROUNDS);
for (const [index, level] of LOG_LEVELS.entries()) {
  const log = await openPlatform(level, path.join(root, `data-${index}`));
  const phase: Phase = {
    level,
    samples: { dispatcher: [], raw: [] },
    enqueueSeconds: 0,
    logLines: 0,
    log: {},
  };
  // Warm-up: connections, JIT, pg-boss's queue cache.
  await dispatcherRound(`warm-d-${level}`, 200);
  await rawRound(`warm-r-${level}`, 200);
  for (let round = 0; round < ROUNDS; round += 1) {
    loads.push(os.loadavg()[0] ?? 0);
    const order = round % 4 === 0 || round % 4 === 3 ? ['dispatcher', 'raw'] : ['raw', 'dispatcher'];
    for (const side of order as ('dispatcher' | 'raw')[]) {
      const name = `${level}-r${round}-${side}`;
      // The dispatcher's CPU is counted from its commit (the enqueueing is the caller's work).
      let cpu = await systemCpuSeconds();
      const result: { seconds: number; enqueueSeconds?: number } =
        side === 'dispatcher'
          ? await dispatcherRound(name, perRound, async () => {
              cpu = await systemCpuSeconds();
            })
          : await rawRound(name, perRound);
      phase.enqueueSeconds += result.enqueueSeconds ?? 0;
      phase.samples[side].push({
        perSecond: perRound / result.seconds,
        cpuMillisPerDelivery: (await systemCpuSeconds()).map(
          // PostgreSQL's total can drop when a background process (autovacuum) exits: floor at 0.
          (seconds, part) => Math.max(0, (seconds - (cpu[part] as number)) * (1000 / perRound)),
        ) as Sample['cpuMillisPerDelivery'],
      });
    }
    const last = (side: 'dispatcher' | 'raw') => phase.samples[side].at(-1) as Sample;
    process.stderr.write(
      `LOG_LEVEL=${level} round ${round + 1}/${ROUNDS} (load ${loads.at(-1)?.toFixed(1)}): dispatcher ${last('dispatcher').perSecond.toFixed(0)}/s, raw ${last('raw').perSecond.toFixed(0)}/s, ratio ${(last('dispatcher').perSecond / last('raw').perSecond).toFixed(2)}\n`,
    );
  }
  const deliveries = await servicePool.query<{ deliveries: number; attempts: number; delivered: number }>(
    `SELECT count(*)::int AS deliveries, sum(attempts)::int AS attempts,
            count(*) FILTER (WHERE status = 'delivered')::int AS delivered
       FROM platform.webhook_deliveries WHERE owner LIKE $1`,
    [`bench:${level}-r%`],
  );
  const attempts = await servicePool.query<{ attempts: number }>(
    `SELECT count(*)::int AS attempts FROM platform.webhook_attempts a
       JOIN platform.webhook_deliveries d ON d.id = a.delivery_id WHERE d.owner LIKE $1`,
    [`bench:${level}-r%`],
  );
  phase.log = { ...deliveries.rows[0], attemptRows: attempts.rows[0]?.attempts };
  await servicePool.end();
  await platform.close();
  phase.logLines = log.lines();
  phases.push(phase);
}
const { badSignatures } = await receiverCpu();
receiver.kill('SIGTERM');
await fs.rm(root, { recursive: true, force: true });

const summary = (samples: Sample[]) => {
  const rates = samples.map((sample) => sample.perSecond);
  const cpu = [0, 1, 2].map((part) =>
    median(samples.map((sample) => sample.cpuMillisPerDelivery[part] as number)),
  ) as [number, number, number];
  return `${median(rates).toFixed(0)}/s median (${Math.min(...rates).toFixed(0)}–${Math.max(...rates).toFixed(0)}), CPU ${(cpu[0] + cpu[1] + cpu[2]).toFixed(2)} ms/delivery (sender process ${cpu[0].toFixed(2)} + receiver ${cpu[1].toFixed(2)} + PostgreSQL ${cpu[2].toFixed(2)})`;
};
const out = (line: string) => process.stderr.write(`${line}\n`);
out(
  `webhooks on ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'cpu'}); 1-min load ${Math.min(...loads).toFixed(1)}–${Math.max(...loads, os.loadavg()[0] ?? 0).toFixed(1)}; LOG_LEVEL ${LOG_LEVELS.join(', then ')}; ${ROUNDS} rounds of ${perRound} per side and level, ${concurrency} at once`,
);
out(
  `raw signed fetch (keep-alive), every level's rounds: ${summary(phases.flatMap((phase) => phase.samples.raw))}`,
);
for (const phase of phases) {
  out(
    `LOG_LEVEL=${phase.level}: dispatcher (from the commit of the deliveries: pg-boss → SSRF guard → signed POST → attempt logged): ${summary(phase.samples.dispatcher)}; recording them (one transaction per round, not timed above) ran at ${((perRound * ROUNDS) / phase.enqueueSeconds).toFixed(0)}/s; ${phase.logLines} log lines`,
  );
  out(
    `  delivery log: ${phase.log.delivered}/${phase.log.deliveries} delivered, ${phase.log.attempts} attempts counted, ${phase.log.attemptRows} attempt rows`,
  );
}
out(`receiver refused ${badSignatures} signatures`);
for (const phase of phases) {
  const ratios = phase.samples.dispatcher.map(
    (sample, index) => sample.perSecond / (phase.samples.raw[index] as Sample).perSecond,
  );
  out(
    `ratio dispatcher/raw at LOG_LEVEL=${phase.level}: ${median(ratios).toFixed(2)} median of ${ratios.length} rounds (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}) (target ≥ 0.7)`,
  );
}
process.exit(0);
