/**
 * Biometry throughput with `npm start`'s defaults: realistic jobs (selfie + recto + verso of the
 * generated documents) submitted over HTTP to `trustplane start` (every service and its workers in
 * one process, default worker count and concurrency, default log level), worked through pg-boss on
 * that process's vision threads, results polled and acknowledged over HTTP; against a baseline of
 * the same pipeline (the same threaded verifier, the same number of jobs at once) called directly
 * in this process. Queue and baseline run in interleaved rounds (ABBA), so a machine whose load
 * drifts hits both. Prints jobs/min of each, the ratio queue/baseline (target ≥ 0.8: the queue's
 * overhead ≤ 0.2), CPU per job of each side and the machine load.
 *
 *   npx tsx bench/biometry-throughput.ts [--jobs 100] [--baseline-jobs 100] [--rounds 4]
 *
 * BENCH_NODE_OPTIONS (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`) go to the server process; with
 * `--cpu-prof` every thread (the vision threads too) writes its own profile.
 */
import { spawn, spawnSync } from 'node:child_process';
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

const argument = (name: string, fallback: number) => {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? Number(process.argv[index + 1]) : fallback;
};
const JOBS = argument('jobs', 100);
const BASELINE_JOBS = argument('baseline-jobs', JOBS);
const ROUNDS = Math.max(1, argument('rounds', 4));

const DOCS = new URL('../packages/vision/test/documents/', import.meta.url);
const FACES = new URL('../../shared/fixtures/faces/', import.meta.url);
const CLI = fileURLToPath(new URL('../packages/cli/bin/trustplane.js', import.meta.url));

interface Entry {
  variant: string;
  documentType: VerificationInput['documentType'];
  portrait: string;
  recto: string;
  verso?: string;
  declared: Record<string, string>;
}
const manifest: Entry[] = JSON.parse(await fsp.readFile(new URL('manifest.json', DOCS), 'utf8'));
const clean = manifest.filter((entry) => entry.variant === 'clean');
// The holder's selfie: another photo of the same person where the fixtures have one.
const SELFIE: Record<string, string> = {
  'obama_2012_oval_office_portrait.jpg': 'obama_2009_joint_session.jpg',
  'obama_2009_joint_session.jpg': 'obama_2012_oval_office_portrait.jpg',
  'obama_2010_blue_room.jpg': 'obama_2012_oval_office_portrait.jpg',
};
// Passports get a verso too (the seed's "2 sides"): the recto again, as a client would send.
const workload = await Promise.all(
  clean.map(async (entry) => ({
    entry,
    selfie: await fsp.readFile(new URL(SELFIE[entry.portrait] ?? entry.portrait, FACES)),
    recto: await fsp.readFile(new URL(entry.recto, DOCS)),
    verso: await fsp.readFile(new URL(entry.verso ?? entry.recto, DOCS)),
  })),
);
const job = (index: number) => workload[index % workload.length] as (typeof workload)[number];
const toInput = (index: number): VerificationInput => ({
  documentType: job(index).entry.documentType,
  selfie: job(index).selfie,
  recto: job(index).recto,
  verso: job(index).verso,
  declared: job(index).entry.declared as never,
});
const submitBodies = workload.map((entry, index) =>
  JSON.stringify({
    citizen_code: `BENCH-${index}`,
    document_type: entry.entry.documentType,
    country_code: 'FR',
    selfie_b64: entry.selfie.toString('base64'),
    cni_recto_b64: entry.recto.toString('base64'),
    cni_verso_b64: entry.verso.toString('base64'),
    declared_identity: entry.entry.declared,
  }),
);

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
};
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// The server: `trustplane start` exactly as `npm start` runs it, on free ports and a fresh data dir.
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
};
const nodeOptions = (process.env.BENCH_NODE_OPTIONS ?? '').split(' ').filter(Boolean);
const server = spawn(process.execPath, [...nodeOptions, CLI, 'start'], {
  env: serverEnv,
  stdio: ['ignore', 'pipe', 'inherit'],
});
await new Promise<void>((resolve, reject) => {
  // Every line is read (the default level logs each request), so the pipe never fills.
  createInterface({ input: server.stdout }).on('line', (line) => {
    if (line.includes('"trustplane ready"')) resolve();
  });
  server.once('exit', (code) => reject(new Error(`trustplane start exited with ${code}`)));
});
const base = `http://127.0.0.1:${ports.BIOMETRY_PORT}`;
const created = spawnSync(process.execPath, [CLI, 'biometry', 'key', 'create', '--name', 'bench', '--json'], {
  env: serverEnv,
  encoding: 'utf8',
});
if (created.status !== 0) throw new Error(`key create failed: ${created.stderr}`);
const headers = {
  'x-service-api-key': JSON.parse(created.stdout).key as string,
  'content-type': 'application/json',
};

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
const outcomes = { baseline: {} as Record<string, number>, queue: {} as Record<string, number> };
const count = (side: keyof typeof outcomes, outcome: string) => {
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

async function api(method: string, url: string, body?: string) {
  const response = await fetch(`${base}${url}`, { method, headers, body });
  const text = await response.text();
  if (response.status >= 300) throw new Error(`${method} ${url}: ${response.status} ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

const queueLatencies: number[] = [];
const workerMs: number[] = [];
let submitSecondsTotal = 0;
/** Submits `jobs` jobs (8 requests at a time), then polls and acks until every result is in. */
async function runQueue(jobs: number, offset: number): Promise<{ seconds: number; cpu: number }> {
  const start = performance.now();
  const cpu = processCpuSeconds(server.pid as number);
  const submittedAt = new Map<string, number>();
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < jobs) {
        const index = offset + next;
        next += 1;
        const answer = await api('POST', '/jobs/submit', submitBodies[index % submitBodies.length]);
        submittedAt.set(answer.job_id, performance.now());
      }
    }),
  );
  submitSecondsTotal += (performance.now() - start) / 1000;
  let received = 0;
  while (received < jobs) {
    const poll = await api('GET', '/jobs/results?limit=1000');
    const now = performance.now();
    const results = poll.results as { job_id: string; outcome: string; processing_time_ms: number }[];
    for (const result of results) {
      if (!submittedAt.has(result.job_id)) continue;
      received += 1;
      queueLatencies.push(now - (submittedAt.get(result.job_id) as number));
      workerMs.push(result.processing_time_ms);
      count('queue', result.outcome);
    }
    if (results.length > 0)
      await api('POST', '/jobs/ack', JSON.stringify({ job_ids: results.map((result) => result.job_id) }));
    else await sleep(100);
  }
  return { seconds: (performance.now() - start) / 1000, cpu: processCpuSeconds(server.pid as number) - cpu };
}

// Warm-up on both sides (JIT, the first jobs' allocations), not measured.
const warmJobs = config.workerConcurrency * 2;
await runBaseline(warmJobs, 0);
await runQueue(warmJobs, 0);
baselineLatencies.length = 0;
queueLatencies.length = 0;
workerMs.length = 0;
submitSecondsTotal = 0;
for (const side of Object.values(outcomes)) for (const key of Object.keys(side)) delete side[key];

interface Round {
  load: number;
  baseline: { jobs: number; seconds: number; cpu: number };
  queue: { jobs: number; seconds: number; cpu: number };
}
const rounds: Round[] = [];
const share = (total: number, round: number) =>
  Math.floor((total * (round + 1)) / ROUNDS) - Math.floor((total * round) / ROUNDS);
for (let round = 0; round < ROUNDS; round += 1) {
  const baselineJobs = share(BASELINE_JOBS, round);
  const queueJobs = share(JOBS, round);
  const load = os.loadavg()[0] ?? 0;
  let baseline: Round['baseline'];
  let queue: Round['queue'];
  // ABBA: baseline first in rounds 0 and 3, queue first in rounds 1 and 2, …
  if (round % 4 === 0 || round % 4 === 3) {
    baseline = { jobs: baselineJobs, ...(await runBaseline(baselineJobs, round)) };
    queue = { jobs: queueJobs, ...(await runQueue(queueJobs, round)) };
  } else {
    queue = { jobs: queueJobs, ...(await runQueue(queueJobs, round)) };
    baseline = { jobs: baselineJobs, ...(await runBaseline(baselineJobs, round)) };
  }
  rounds.push({ load, baseline, queue });
  const perMinute = (side: { jobs: number; seconds: number }) => (side.jobs / side.seconds) * 60;
  console.log(
    `round ${round + 1}/${ROUNDS} (load ${load.toFixed(1)}): baseline ${perMinute(baseline).toFixed(1)} jobs/min, queue ${perMinute(queue).toFixed(1)} jobs/min, ratio ${(perMinute(queue) / perMinute(baseline)).toFixed(2)}`,
  );
}
const loadAfter = os.loadavg()[0] ?? 0;
const serverPeakRss = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${server.pid}/status`, 'utf8'))?.[1];
server.kill('SIGTERM');
await new Promise((resolve) => server.once('exit', resolve));
await fsp.rm(dataDir, { recursive: true, force: true });

const total = (side: 'baseline' | 'queue') =>
  rounds.reduce(
    (sum, round) => ({
      jobs: sum.jobs + round[side].jobs,
      seconds: sum.seconds + round[side].seconds,
      cpu: sum.cpu + round[side].cpu,
    }),
    { jobs: 0, seconds: 0, cpu: 0 },
  );
const baseline = total('baseline');
const queue = total('queue');
const baselinePerMinute = (baseline.jobs / baseline.seconds) * 60;
const queuePerMinute = (queue.jobs / queue.seconds) * 60;
const roundRatios = rounds.map(
  (round) => round.queue.jobs / round.queue.seconds / (round.baseline.jobs / round.baseline.seconds),
);
const ms = (value: number) => `${Math.round(value)} ms`;
const loads = rounds.map((round) => round.load);
console.log(
  `biometry throughput on ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'cpu'}); 1-min load ${Math.min(...loads).toFixed(1)}–${Math.max(...loads, loadAfter).toFixed(1)}; LOG_LEVEL=${process.env.LOG_LEVEL ?? 'info (default)'}`,
);
console.log(
  `defaults: BIOMETRY_WORKER_CONCURRENCY=${config.workerConcurrency}, BIOMETRY_OCR_WORKERS=${config.ocrWorkers}, vision threads ${process.env.TRUSTPLANE_VISION_WORKERS ?? 'default'}`,
);
console.log(
  `baseline (threaded verifier in-process, ${baseline.jobs} jobs, ${config.workerConcurrency} at once): ${baselinePerMinute.toFixed(1)} jobs/min, p50 ${ms(median(baselineLatencies))}, p95 ${ms(percentile(baselineLatencies, 95))}; CPU ${(baseline.cpu / baseline.jobs).toFixed(2)} s/job; outcomes ${JSON.stringify(outcomes.baseline)}`,
);
console.log(
  `queue (HTTP → pg-boss → trustplane start's workers, ${queue.jobs} jobs): ${queuePerMinute.toFixed(1)} jobs/min, submit→result p50 ${ms(median(queueLatencies))}, p95 ${ms(percentile(queueLatencies, 95))}; pipeline time inside the worker p50 ${ms(median(workerMs))}, p95 ${ms(percentile(workerMs, 95))}; submitting took ${submitSecondsTotal.toFixed(1)} s; server CPU ${(queue.cpu / queue.jobs).toFixed(2)} s/job; outcomes ${JSON.stringify(outcomes.queue)}`,
);
console.log(
  `server peak RSS: ${serverPeakRss ? `${Math.round(Number(serverPeakRss) / 1024)} MiB` : 'unknown'}`,
);
console.log(
  `ratio queue/baseline: ${(queuePerMinute / baselinePerMinute).toFixed(2)} over all rounds (rounds: ${roundRatios.map((ratio) => ratio.toFixed(2)).join(', ')}; median ${median(roundRatios).toFixed(2)}) (target ≥ 0.8); CPU per job baseline/queue ${(baseline.cpu / baseline.jobs / (queue.cpu / queue.jobs)).toFixed(2)}`,
);
console.log(`queue jobs/min: ${queuePerMinute.toFixed(1)} (target ≥ 60)`);
process.exit(0);
