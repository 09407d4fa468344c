/**
 * Biometry throughput with `npm start`'s defaults: realistic jobs (selfie + recto + verso of the
 * generated documents) submitted over HTTP to `trustplane start` (every service and its workers in
 * one process, default worker count and concurrency, default log level), worked through pg-boss on
 * that process's vision threads, results polled and acknowledged over HTTP; against a baseline of
 * the same pipeline (the same threaded verifier, the same number of jobs at once) called directly
 * in this process. Queue and baseline run in interleaved rounds (ABBA), so a machine whose load
 * drifts hits both. Prints jobs/min of each, the ratio queue/baseline (target ≥ 0.8: the queue's
 * overhead ≤ 0.2), CPU per job of each side and the machine load. The server runs at each log
 * level in turn (default `info`, `npm start`'s, then `silent`), a fresh server each, its rounds
 * interleaved with baseline rounds; the jobs counts are per level.
 *
 *   npx tsx bench/biometry-throughput.ts [--jobs 100] [--baseline-jobs 100] [--rounds 4] [--log-levels info,silent]
 *
 * BENCH_NODE_OPTIONS (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`) go to the server process; with
 * `--cpu-prof` every thread (the vision threads too) writes its own profile.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { freePort } from '@trustplane/kernel';
import { loadBiometryConfig } from '../services/biometry/src/config.js';
import { threadedVerifier } from '../services/biometry/src/pipeline/threaded-verifier.js';
import type { VerificationInput } from '../services/biometry/src/pipeline/verify-identity.js';
import { cleanDocuments, type JobImages, jobBody, jobImages } from './support/biometry-jobs.js';
import { benchLogLevels, type LogLevel } from './support/log-levels.js';
import { median, percentile } from './support/statistics.js';
import { numberArgument } from './support/arguments.js';

const JOBS = numberArgument('jobs', 100);
const BASELINE_JOBS = numberArgument('baseline-jobs', JOBS);
const ROUNDS = Math.max(1, numberArgument('rounds', 4));

const CLI = fileURLToPath(new URL('../packages/cli/bin/trustplane.js', import.meta.url));

// The holder's selfie: another photo of the same person where the fixtures have one.
const SELFIE: Record<string, string> = {
  'obama_2012_oval_office_portrait.jpg': 'obama_2009_joint_session.jpg',
  'obama_2009_joint_session.jpg': 'obama_2012_oval_office_portrait.jpg',
  'obama_2010_blue_room.jpg': 'obama_2012_oval_office_portrait.jpg',
};
const workload = await Promise.all(
  (await cleanDocuments()).map((entry) => jobImages(entry, SELFIE[entry.portrait] ?? entry.portrait)),
);
const job = (index: number) => workload[index % workload.length] as JobImages;
const toInput = (index: number): VerificationInput => ({
  documentType: job(index).entry.documentType,
  selfie: job(index).selfie,
  recto: job(index).recto,
  verso: job(index).verso,
  declared: job(index).entry.declared as never,
});
const submitBodies = workload.map((images, index) => JSON.stringify(jobBody(images, `BENCH-${index}`)));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// The server: `trustplane start` exactly as `npm start` runs it, on free ports and a fresh data dir;
// one per log level, in turn.
const LOG_LEVELS = benchLogLevels();
const nodeOptions = (process.env.BENCH_NODE_OPTIONS ?? '').split(' ').filter(Boolean);
interface Server {
  process: ChildProcess;
  pid: number;
  base: string;
  headers: Record<string, string>;
  dataDir: string;
  logLines: () => number;
}
async function startServer(level: LogLevel): Promise<Server> {
  const dataDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'trustplane-bench-biometry-'));
  const ports: Record<string, number> = {};
  for (const name of [
    'ACCOUNT_PORT',
    'MEDIA_PORT',
    'NOTIFICATION_PORT',
    'NOTIFICATION_GRPC_PORT',
    'KYC_PORT',
    'BIOMETRY_PORT',
    'VERIFACT_PORT',
    'BACKLEX_PORT',
  ])
    ports[name] = await freePort();
  const serverEnv: NodeJS.ProcessEnv = {
    ...process.env,
    ...Object.fromEntries(Object.entries(ports).map(([name, port]) => [name, String(port)])),
    TRUSTPLANE_DATA_DIR: dataDir,
    TRUSTPLANE_HOST: '127.0.0.1',
    LOG_LEVEL: level,
  };
  const child = spawn(process.execPath, [...nodeOptions, CLI, 'start'], {
    env: serverEnv,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const base = `http://127.0.0.1:${ports.BIOMETRY_PORT}`;
  let lines = 0;
  let up = false;
  const ready = new Promise<void>((resolve, reject) => {
    // Every line is read (the default level logs each request), so the pipe never fills.
    createInterface({ input: child.stdout }).on('line', (line) => {
      lines += 1;
      if (line.includes('"trustplane ready"')) resolve();
    });
    child.once('exit', (code) => {
      if (!up) reject(new Error(`trustplane start exited with ${code}`));
    });
  });
  // Below `info` (silent) there is no ready line: biometry answering its health route is the sign.
  const healthy = (async () => {
    while (!up) {
      const status = await fetch(`${base}/health`).then(
        (response) => response.status,
        () => 0,
      );
      if (status === 200) return;
      await sleep(250);
    }
  })();
  await Promise.race([ready, healthy]);
  up = true;
  const created = spawnSync(
    process.execPath,
    [CLI, 'biometry', 'key', 'create', '--name', 'bench', '--json'],
    {
      env: serverEnv,
      encoding: 'utf8',
    },
  );
  if (created.status !== 0) throw new Error(`key create failed: ${created.stderr}`);
  return {
    process: child,
    pid: child.pid as number,
    base,
    headers: {
      'x-service-api-key': JSON.parse(created.stdout).key as string,
      'content-type': 'application/json',
    },
    dataDir,
    logLines: () => lines,
  };
}

/** User + system CPU seconds of a process, all its threads (vision threads, Tesseract workers). */
function processCpuSeconds(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
}
const selfCpuSeconds = () => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
};

// Baseline: the same threaded verifier on this process's vision threads, as many jobs at once as
// the server's workers take (BIOMETRY_WORKER_CONCURRENCY, same defaults), no HTTP, queue or store.
const config = loadBiometryConfig(process.env);
const verifier = threadedVerifier(config);
await verifier.warm();
const outcomes: Record<string, Record<string, number>> = { baseline: {} };
const count = (side: string, outcome: string) => {
  outcomes[side] ??= {};
  outcomes[side][outcome] = (outcomes[side][outcome] ?? 0) + 1;
};
const baselineLatencies: number[] = [];
async function runBaseline(jobs: number, offset: number): Promise<{ seconds: number; cpu: number }> {
  const start = performance.now();
  const cpu = selfCpuSeconds();
  let next = 0;
  await Promise.all(
    Array.from({ length: config.workerConcurrency }, async () => {
      while (next < jobs) {
        const index = offset + next;
        next += 1;
        const started = performance.now();
        const result = await verifier.verify(toInput(index));
        baselineLatencies.push(performance.now() - started);
        count('baseline', result.outcome);
      }
    }),
  );
  return { seconds: (performance.now() - start) / 1000, cpu: selfCpuSeconds() - cpu };
}

async function api(server: Server, method: string, url: string, body?: string) {
  const response = await fetch(`${server.base}${url}`, { method, headers: server.headers, body });
  const text = await response.text();
  if (response.status >= 300) throw new Error(`${method} ${url}: ${response.status} ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

interface QueueFigures {
  latencies: number[];
  workerMs: number[];
  submitSeconds: number;
}
/** Submits `jobs` jobs (8 requests at a time), then polls and acks until every result is in. */
async function runQueue(
  server: Server,
  figures: QueueFigures,
  side: string,
  jobs: number,
  offset: number,
): Promise<{ seconds: number; cpu: number }> {
  const start = performance.now();
  const cpu = processCpuSeconds(server.pid);
  const submittedAt = new Map<string, number>();
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < jobs) {
        const index = offset + next;
        next += 1;
        const answer = await api(server, 'POST', '/jobs/submit', submitBodies[index % submitBodies.length]);
        submittedAt.set(answer.job_id, performance.now());
      }
    }),
  );
  figures.submitSeconds += (performance.now() - start) / 1000;
  let received = 0;
  while (received < jobs) {
    const poll = await api(server, 'GET', '/jobs/results?limit=1000');
    const now = performance.now();
    const results = poll.results as { job_id: string; outcome: string; processing_time_ms: number }[];
    for (const result of results) {
      if (!submittedAt.has(result.job_id)) continue;
      received += 1;
      figures.latencies.push(now - (submittedAt.get(result.job_id) as number));
      figures.workerMs.push(result.processing_time_ms);
      count(side, result.outcome);
    }
    if (results.length > 0)
      await api(
        server,
        'POST',
        '/jobs/ack',
        JSON.stringify({ job_ids: results.map((result) => result.job_id) }),
      );
    else await sleep(100);
  }
  return { seconds: (performance.now() - start) / 1000, cpu: processCpuSeconds(server.pid) - cpu };
}

interface Round {
  load: number;
  baseline: { jobs: number; seconds: number; cpu: number };
  queue: { jobs: number; seconds: number; cpu: number };
}
interface Phase {
  level: LogLevel;
  side: string;
  rounds: Round[];
  figures: QueueFigures;
  peakRss?: string;
  logLines: number;
}
const phases: Phase[] = [];
const share = (total: number, round: number) =>
  Math.floor((total * (round + 1)) / ROUNDS) - Math.floor((total * round) / ROUNDS);
const perMinute = (side: { jobs: number; seconds: number }) => (side.jobs / side.seconds) * 60;
const warmJobs = config.workerConcurrency * 2;
for (const level of LOG_LEVELS) {
  const server = await startServer(level);
  const phase: Phase = {
    level,
    side: `queue at ${level}`,
    rounds: [],
    figures: { latencies: [], workerMs: [], submitSeconds: 0 },
    logLines: 0,
  };
  // Warm-up on both sides (JIT, the first jobs' allocations), not measured.
  const warmLatencies = baselineLatencies.length;
  const counted = { ...outcomes.baseline };
  await runBaseline(warmJobs, 0);
  baselineLatencies.length = warmLatencies;
  outcomes.baseline = counted;
  await runQueue(server, { latencies: [], workerMs: [], submitSeconds: 0 }, 'warm-up', warmJobs, 0);
  for (let round = 0; round < ROUNDS; round += 1) {
    const baselineJobs = share(BASELINE_JOBS, round);
    const queueJobs = share(JOBS, round);
    const load = os.loadavg()[0] ?? 0;
    let baseline: Round['baseline'];
    let queue: Round['queue'];
    const queued = async () => ({
      jobs: queueJobs,
      ...(await runQueue(server, phase.figures, phase.side, queueJobs, round)),
    });
    // ABBA: baseline first in rounds 0 and 3, queue first in rounds 1 and 2, …
    if (round % 4 === 0 || round % 4 === 3) {
      baseline = { jobs: baselineJobs, ...(await runBaseline(baselineJobs, round)) };
      queue = await queued();
    } else {
      queue = await queued();
      baseline = { jobs: baselineJobs, ...(await runBaseline(baselineJobs, round)) };
    }
    phase.rounds.push({ load, baseline, queue });
    console.log(
      `LOG_LEVEL=${level} round ${round + 1}/${ROUNDS} (load ${load.toFixed(1)}): baseline ${perMinute(baseline).toFixed(1)} jobs/min, queue ${perMinute(queue).toFixed(1)} jobs/min, ratio ${(perMinute(queue) / perMinute(baseline)).toFixed(2)}`,
    );
  }
  phase.peakRss = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${server.pid}/status`, 'utf8'))?.[1];
  server.process.kill('SIGTERM');
  await new Promise((resolve) => server.process.once('exit', resolve));
  phase.logLines = server.logLines();
  await fsp.rm(server.dataDir, { recursive: true, force: true });
  phases.push(phase);
}
const loadAfter = os.loadavg()[0] ?? 0;

const total = (rounds: Round[], side: 'baseline' | 'queue') =>
  rounds.reduce(
    (sum, round) => ({
      jobs: sum.jobs + round[side].jobs,
      seconds: sum.seconds + round[side].seconds,
      cpu: sum.cpu + round[side].cpu,
    }),
    { jobs: 0, seconds: 0, cpu: 0 },
  );
const allRounds = phases.flatMap((phase) => phase.rounds);
const baseline = total(allRounds, 'baseline');
const baselinePerMinute = perMinute(baseline);
const ms = (value: number) => `${Math.round(value)} ms`;
const loads = allRounds.map((round) => round.load);
console.log(
  `biometry throughput on ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'cpu'}); 1-min load ${Math.min(...loads).toFixed(1)}–${Math.max(...loads, loadAfter).toFixed(1)}; LOG_LEVEL ${LOG_LEVELS.join(', then ')}`,
);
console.log(
  `defaults: BIOMETRY_WORKER_CONCURRENCY=${config.workerConcurrency}, BIOMETRY_OCR_WORKERS=${config.ocrWorkers}, vision threads ${process.env.TRUSTPLANE_VISION_WORKERS ?? 'default'}`,
);
console.log(
  `baseline (threaded verifier in-process, ${baseline.jobs} jobs over every level's rounds, ${config.workerConcurrency} at once): ${baselinePerMinute.toFixed(1)} jobs/min, p50 ${ms(median(baselineLatencies))}, p95 ${ms(percentile(baselineLatencies, 95))}; CPU ${(baseline.cpu / baseline.jobs).toFixed(2)} s/job; outcomes ${JSON.stringify(outcomes.baseline)}`,
);
const summaries: string[] = [];
for (const phase of phases) {
  const queue = total(phase.rounds, 'queue');
  const levelBaseline = total(phase.rounds, 'baseline');
  const queuePerMinute = perMinute(queue);
  const roundRatios = phase.rounds.map((round) => perMinute(round.queue) / perMinute(round.baseline));
  const { latencies, workerMs, submitSeconds } = phase.figures;
  console.log(
    `LOG_LEVEL=${phase.level}: queue (HTTP → pg-boss → trustplane start's workers, ${queue.jobs} jobs): ${queuePerMinute.toFixed(1)} jobs/min, submit→result p50 ${ms(median(latencies))}, p95 ${ms(percentile(latencies, 95))}; pipeline time inside the worker p50 ${ms(median(workerMs))}, p95 ${ms(percentile(workerMs, 95))}; submitting took ${submitSeconds.toFixed(1)} s; server CPU ${(queue.cpu / queue.jobs).toFixed(2)} s/job; outcomes ${JSON.stringify(outcomes[phase.side] ?? {})}; server peak RSS ${phase.peakRss ? `${Math.round(Number(phase.peakRss) / 1024)} MiB` : 'unknown'}; ${phase.logLines} stdout lines`,
  );
  summaries.push(
    `ratio queue/baseline at LOG_LEVEL=${phase.level}: ${(queuePerMinute / perMinute(levelBaseline)).toFixed(2)} over its rounds (rounds: ${roundRatios.map((ratio) => ratio.toFixed(2)).join(', ')}; median ${median(roundRatios).toFixed(2)}) (target ≥ 0.8); CPU per job baseline/queue ${(levelBaseline.cpu / levelBaseline.jobs / (queue.cpu / queue.jobs)).toFixed(2)}; queue ${queuePerMinute.toFixed(1)} jobs/min (target ≥ 60)`,
  );
}
for (const line of summaries) console.log(line);
process.exit(0);
