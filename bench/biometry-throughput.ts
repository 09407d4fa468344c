/**
 * Biometry throughput: N realistic jobs (selfie + recto + verso of the generated documents)
 * through the HTTP API, pg-boss and one worker process, against a baseline of the same
 * pipeline called directly in-process. Prints jobs/minute, p50/p95 latency, the worker's
 * peak RSS and the ratio queue/baseline (target ≥ 0.8).
 *
 *   npx tsx bench/biometry-throughput.ts [--jobs 100] [--baseline-jobs 20]
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPlatformConfig, Platform } from '@trustplane/kernel';
import { loadBiometryConfig } from '../services/biometry/src/config.js';
import { biometryService } from '../services/biometry/src/index.js';
import { createEngines } from '../services/biometry/src/pipeline/engines.js';
import { verifyIdentity } from '../services/biometry/src/pipeline/verify-identity.js';

const argument = (name: string, fallback: number) => {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? Number(process.argv[index + 1]) : fallback;
};
const JOBS = argument('jobs', 100);
const BASELINE_JOBS = argument('baseline-jobs', Math.min(JOBS, 20));

const DOCS = new URL('../packages/vision/test/documents/', import.meta.url);
const FACES = new URL('../../shared/fixtures/faces/', import.meta.url);
interface Entry {
  id: string;
  variant: string;
  documentType: 'CNI' | 'PASSPORT' | 'TITRE_DE_SEJOUR' | 'NATIONAL_ID';
  portrait: string;
  recto: string;
  verso?: string;
  declared: Record<string, string>;
}
const manifest: Entry[] = JSON.parse(await fs.readFile(new URL('manifest.json', DOCS), 'utf8'));
const clean = manifest.filter((entry) => entry.variant === 'clean');
const SELFIE: Record<string, string> = {
  'obama_2012_oval_office_portrait.jpg': 'obama_2009_joint_session.jpg',
  'obama_2009_joint_session.jpg': 'obama_2012_oval_office_portrait.jpg',
  'obama_2010_blue_room.jpg': 'obama_2012_oval_office_portrait.jpg',
};
// Passports get a verso too (the seed's "2 sides"): the recto again, as a client would send.
const workload = await Promise.all(
  clean.map(async (entry) => ({
    entry,
    selfie: await fs.readFile(new URL(SELFIE[entry.portrait] ?? entry.portrait, FACES)),
    recto: await fs.readFile(new URL(entry.recto, DOCS)),
    verso: await fs.readFile(new URL(entry.verso ?? entry.recto, DOCS)),
  })),
);

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
};

// Baseline: the pipeline called directly, one job after another, in this process. Half of it
// runs before the queue run and half after, so drifting load on a shared machine hits both sides.
const config = loadBiometryConfig(process.env);
const engines = createEngines({ ocrWorkers: config.ocrWorkers });
const baselineLatencies: number[] = [];
let baselineSeconds = 0;
await verifyIdentity({ ...toInput(0) }, engines, config); // warm-up: model load, OCR worker start
async function runBaseline(jobs: number): Promise<void> {
  const start = performance.now();
  for (let index = 0; index < jobs; index += 1) {
    const started = performance.now();
    await verifyIdentity(toInput(index), engines, config);
    baselineLatencies.push(performance.now() - started);
  }
  baselineSeconds += (performance.now() - start) / 1000;
}
await runBaseline(Math.ceil(BASELINE_JOBS / 2));
const loadBefore = os.loadavg()[0] ?? 0;

function toInput(index: number) {
  const job = workload[index % workload.length] as (typeof workload)[number];
  return {
    documentType: job.entry.documentType,
    selfie: job.selfie,
    recto: job.recto,
    verso: job.verso,
    declared: job.entry.declared as never,
  };
}

// Queue: HTTP submit → pg-boss → one worker process.
const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'trustplane-bench-biometry-'));
const env = { ...process.env, LOG_LEVEL: 'silent', TRUSTPLANE_DATA_DIR: dataDir };
const platform = await Platform.open({ config: loadPlatformConfig(env), role: 'server' });
await platform.migrate([biometryService]);
const context = platform.createContext(biometryService, biometryService.ports.http);
biometryService.defineJobs?.(context);
const app = await biometryService.buildHttp(context);
await app.ready();
const created = await biometryService.commands
  ?.find((command) => command.path.join(' ') === 'key create')
  ?.run(context, { name: 'bench' });
const headers = { 'x-service-api-key': String(created?.key) };

const worker = spawn(
  process.execPath,
  ['--import', 'tsx', fileURLToPath(new URL('./biometry-worker.ts', import.meta.url))],
  {
    env: { ...env, DATABASE_URL: platform.databaseUrl },
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
let workerOutput = '';
worker.stdout.on('data', (chunk) => {
  workerOutput += chunk;
});
while (!workerOutput.includes('ready')) await new Promise((resolve) => setTimeout(resolve, 100));

const submittedAt = new Map<string, number>();
const queueStart = performance.now();
for (let index = 0; index < JOBS; index += 1) {
  const input = toInput(index);
  const response = await app.inject({
    method: 'POST',
    url: '/jobs/submit',
    headers,
    payload: {
      citizen_code: `BENCH-${index}`,
      document_type: input.documentType,
      country_code: 'FR',
      selfie_b64: input.selfie.toString('base64'),
      cni_recto_b64: input.recto.toString('base64'),
      cni_verso_b64: input.verso.toString('base64'),
      declared_identity: input.declared,
    },
  });
  if (response.statusCode !== 202) throw new Error(`submit failed: ${response.body}`);
  submittedAt.set(response.json().job_id, performance.now());
}
const submitSeconds = (performance.now() - queueStart) / 1000;
const queueLatencies: number[] = [];
const outcomes: Record<string, number> = {};
const workerMs: number[] = [];
while (queueLatencies.length < JOBS) {
  const poll = (await app.inject({ method: 'GET', url: '/jobs/results?limit=1000', headers })).json();
  const now = performance.now();
  for (const result of poll.results as { job_id: string; outcome: string; processing_time_ms: number }[]) {
    queueLatencies.push(now - (submittedAt.get(result.job_id) ?? now));
    workerMs.push(result.processing_time_ms);
    outcomes[result.outcome] = (outcomes[result.outcome] ?? 0) + 1;
  }
  if (poll.results.length) {
    await app.inject({
      method: 'POST',
      url: '/jobs/ack',
      headers,
      payload: { job_ids: poll.results.map((result: { job_id: string }) => result.job_id) },
    });
  } else await new Promise((resolve) => setTimeout(resolve, 250));
}
const queueSeconds = (performance.now() - queueStart) / 1000;
const queuePerMinute = (JOBS / queueSeconds) * 60;
worker.kill('SIGTERM');
await new Promise((resolve) => worker.once('exit', resolve));
const rss = JSON.parse(workerOutput.trim().split('\n').pop() ?? '{}').maxRssBytes as number | undefined;
await app.close();
await platform.close();
const loadAfter = os.loadavg()[0] ?? 0;
await runBaseline(Math.floor(BASELINE_JOBS / 2));
await engines.close();
const baselinePerMinute = (baselineLatencies.length / baselineSeconds) * 60;
await fs.rm(dataDir, { recursive: true, force: true });

const ms = (value: number) => `${Math.round(value)} ms`;
console.log(
  `biometry throughput on ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'cpu'}); 1-min load ${loadBefore.toFixed(1)} → ${loadAfter.toFixed(1)}`,
);
console.log(
  `pipeline time inside the worker: p50 ${ms(percentile(workerMs, 50))}, p95 ${ms(percentile(workerMs, 95))}; submitting ${JOBS} jobs took ${submitSeconds.toFixed(1)} s`,
);
console.log(
  `baseline (pipeline in-process, ${BASELINE_JOBS} jobs): ${baselinePerMinute.toFixed(1)} jobs/min, p50 ${ms(percentile(baselineLatencies, 50))}, p95 ${ms(percentile(baselineLatencies, 95))}`,
);
console.log(
  `queue (HTTP → pg-boss → 1 worker process, ${JOBS} jobs): ${queuePerMinute.toFixed(1)} jobs/min, submit→result p50 ${ms(percentile(queueLatencies, 50))}, p95 ${ms(percentile(queueLatencies, 95))}`,
);
console.log(
  `worker peak RSS: ${rss ? `${(rss / 1024 / 1024).toFixed(0)} MiB` : 'unknown'}; outcomes ${JSON.stringify(outcomes)}`,
);
console.log(`ratio queue/baseline: ${(queuePerMinute / baselinePerMinute).toFixed(2)} (target ≥ 0.8)`);
