// kyc benchmarks, each against a baseline measured in the same run:
// 1. document analysis time per 1600×1000 JPEG (OCR + ELA + moiré + face; target ≤ 1.0 s p50 on
//    2 cores) through kyc's analyzer as the analysis job runs it (vision's worker threads), in
//    interleaved rounds with two baselines: a plain decode + re-encode of the same image, and the
//    analysis as it ran before issue 14 (one task on one thread, each stage decoding for itself).
//    The vision test set's accuracy through the same analyzer is printed beside the timing;
// 2. `GET /api/verification/sessions/{id}` throughput against a bare Fastify route answering the
//    same bytes (target ratio ≥ 0.5), with kyc at each log level (default `info`, what users run,
//    and `silent`; its log to a file, as to a log collector): one kyc per level, all booted at
//    once, measured in rounds that rotate the order (bare, info, silent | info, silent, bare | …).
// Run: node --import tsx bench/kyc-bench.ts [--log-levels info,silent]
//   (ANALYSIS_ROUNDS, BENCH_SECONDS, THROUGHPUT_ROUNDS; ACCURACY=0 skips the test set)
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import nodePath from 'node:path';
import { bootService } from '@trustplane/kernel/testkit';
import { closeVisionWorkers, visionWorkerPool, workerTask } from '@trustplane/vision';
import { evaluateFacePairs, evaluateMrzSet, figure } from '@trustplane/vision/testkit';
import autocannon from 'autocannon';
import Fastify from 'fastify';
import { createThreadedDocumentAnalyzer } from '../services/kyc/src/analysis/threaded-document-analyzer.js';
import { createKycDefinition } from '../services/kyc/src/index.js';
import type * as oneTask from './support/kyc-analysis-one-task.js';
import { benchLogLevels, fileLogger, type LogLevel } from './support/log-levels.js';
import { median, percentile } from './support/statistics.js';

const require = createRequire(import.meta.resolve('@trustplane/vision'));
const sharp = require('sharp') as typeof import('sharp').default;
const DURATION = Number(process.env.BENCH_SECONDS ?? 8);
const ROUNDS = Number(process.env.ANALYSIS_ROUNDS ?? 15);
const THROUGHPUT_ROUNDS = Number(process.env.THROUGHPUT_ROUNDS ?? 2);
const LOG_LEVELS = benchLogLevels();
const BEFORE = workerTask<typeof oneTask.analyzeInOneTask>(
  new URL('./support/kyc-analysis-one-task.ts', import.meta.url),
  'analyzeInOneTask',
);

const loadAverage = () => Math.round((os.loadavg()[0] ?? 0) * 10) / 10;
const summary = (samples: number[]) => ({
  p50: Math.round(percentile(samples, 50)),
  p90: Math.round(percentile(samples, 90)),
  min: Math.round(Math.min(...samples)),
  max: Math.round(Math.max(...samples)),
});

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; cpuMs: number; result: T }> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const result = await work();
  const used = process.cpuUsage(cpu);
  return { ms: performance.now() - started, cpuMs: (used.user + used.system) / 1000, result };
}

async function analysisBench() {
  const source = await readFile(
    new URL('../packages/vision/test/documents/td3-fra-martin-recto.jpg', import.meta.url),
  );
  const image = await sharp(source).resize(1600, 1000, { fit: 'fill' }).jpeg({ quality: 92 }).toBuffer();
  const analyzer = createThreadedDocumentAnalyzer({ ocrWorkers: 1 });
  const both = { readMrz: true, detectPortrait: true };
  const pool = visionWorkerPool();
  // Every thread loads its models and starts its OCR pool before anything is timed.
  await Promise.all(pool.all().map((entry) => pool.call(entry, BEFORE, [image])));
  for (let i = 0; i < 3; i += 1) await analyzer.analyze(image, both);
  const samples = {
    analysis: [] as number[],
    cpu: [] as number[],
    before: [] as number[],
    baseline: [] as number[],
  };
  const loadStart = loadAverage();
  for (let round = 0; round < ROUNDS; round += 1) {
    const now = await timed(() => analyzer.analyze(image, both));
    if (!now.result.mrz?.valid || !now.result.portrait?.found)
      throw new Error('the benchmark image was misread');
    samples.analysis.push(now.ms);
    samples.cpu.push(now.cpuMs);
    samples.before.push((await timed(() => pool.run(BEFORE, [image]))).ms);
    samples.baseline.push((await timed(() => sharp(image).jpeg({ quality: 90 }).toBuffer())).ms);
  }
  const loadEnd = loadAverage();
  let accuracy: Record<string, unknown> = { skipped: true };
  if (process.env.ACCURACY !== '0') {
    const mrz = await evaluateMrzSet(
      async (bytes) => (await analyzer.analyze(bytes, { readMrz: true, detectPortrait: false })).mrz,
    );
    const faces = await evaluateFacePairs(
      async (bytes) =>
        (await analyzer.analyze(bytes, { readMrz: false, detectPortrait: true })).portrait?.descriptor ??
        undefined,
    );
    accuracy = {
      mrzClean: figure(mrz.clean),
      mrzDegraded: figure(mrz.degraded),
      mrzBroken: figure(mrz.broken),
      faces: figure(faces),
      misses: [...mrz.clean.misses, ...mrz.degraded.misses, ...mrz.broken.misses, ...faces.misses],
      validButWrong: mrz.validButWrong,
      target: 'clean 6/6, degraded >= 23/24, broken 3/3, faces 10/10',
    };
  }
  await closeVisionWorkers();
  return { samples, loadStart, loadEnd, accuracy, threads: pool.size };
}

async function load(url: string, headers: Record<string, string>) {
  const result = await autocannon({ url, headers, connections: 16, duration: DURATION });
  return result.requests.average;
}

/** A kyc at `level` with one verification session; its port, the session's path, token and body. */
async function bootKyc(level: LogLevel, logDir: string) {
  const log = fileLogger(level, nodePath.join(logDir, `${level}.log`));
  const definition = createKycDefinition();
  const booted = await bootService(definition, {
    env: { LOG_LEVEL: level, KYC_PASSWORD_HASH_MEMORY_KIB: '4096', KYC_PASSWORD_HASH_TIME_COST: '1' },
    logger: log.logger,
  });
  const app = booted.app;
  const email = `bench-${randomUUID()}@example.com`;
  await app.inject({
    method: 'POST',
    url: '/api/auth/signup',
    payload: { fullName: 'B', email, password: 'bench password', acceptedTerms: true },
  });
  const login = await app.inject({
    method: 'POST',
    url: '/api/auth/login',
    payload: { email, password: 'bench password' },
  });
  const cookie = `kyc_session=${login.cookies.find((c) => c.name === 'kyc_session')?.value}`;
  const org = await app.inject({
    method: 'POST',
    url: '/api/organizations',
    headers: { cookie },
    payload: { customerId: randomUUID(), legalEmail: 'a@b.co', displayName: 'Bench' },
  });
  const keys = await app.inject({
    method: 'POST',
    url: `/api/dashboard/organizations/${org.json().organization.id}/api-keys`,
    headers: { cookie },
    payload: { environment: 'test' },
  });
  const created = await app.inject({
    method: 'POST',
    url: '/api/verification/sessions',
    headers: { authorization: `Bearer ${keys.json().secret.raw}` },
  });
  const { sessionId, token } = created.json();
  const path = `/api/verification/sessions/${sessionId}`;
  const sample = await app.inject({ method: 'GET', url: path, headers: { 'x-verification-token': token } });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as { port: number }).port;
  return {
    level,
    booted,
    log,
    url: `http://127.0.0.1:${port}${path}`,
    token: token as string,
    body: sample.body,
  };
}

async function throughputBench() {
  const logDir = await mkdtemp(nodePath.join(os.tmpdir(), 'trustplane-bench-kyc-logs-'));
  const kycs = [];
  for (const level of LOG_LEVELS) kycs.push(await bootKyc(level, logDir));

  const bare = Fastify();
  const body = kycs[0]!.body;
  bare.get('/api/verification/sessions/:id', async (_request, reply) =>
    reply.type('application/json; charset=utf-8').send(body),
  );
  await bare.listen({ port: 0, host: '127.0.0.1' });
  const barePort = (bare.server.address() as { port: number }).port;

  const sides = [
    ...kycs.map((kyc) => ({
      name: kyc.level,
      url: kyc.url,
      headers: { 'x-verification-token': kyc.token },
    })),
    {
      name: 'bare',
      url: `http://127.0.0.1:${barePort}${new URL(kycs[0]!.url).pathname}`,
      headers: { 'x-verification-token': kycs[0]!.token },
    },
  ];
  for (const side of sides) await load(side.url, side.headers); // warm-up
  const rates: Record<string, number[]> = Object.fromEntries(sides.map((side) => [side.name, []]));
  for (let round = 0; round < THROUGHPUT_ROUNDS; round += 1) {
    for (let index = 0; index < sides.length; index += 1) {
      const side = sides[(round + index) % sides.length]!;
      rates[side.name]?.push(await load(side.url, side.headers));
    }
  }
  await bare.close();
  const logLines: Record<string, number> = {};
  for (const kyc of kycs) {
    await kyc.booted.close();
    logLines[kyc.level] = kyc.log.lines();
  }
  await rm(logDir, { recursive: true, force: true });
  return { rates, logLines };
}

const analysis = await analysisBench();
const analysisP50 = percentile(analysis.samples.analysis, 50);
console.log(
  JSON.stringify({
    benchmark:
      'kyc document analysis, 1600x1000 JPEG (OCR + ELA + moire + face), kyc analyzer on vision threads',
    rounds: ROUNDS,
    visionThreads: analysis.threads,
    cores: os.availableParallelism(),
    loadAverage: { start: analysis.loadStart, end: analysis.loadEnd },
    analysisMs: summary(analysis.samples.analysis),
    analysisCpuMs: summary(analysis.samples.cpu),
    beforeIssue14OneTaskMs: summary(analysis.samples.before),
    baselineDecodeEncodeMs: summary(analysis.samples.baseline),
    ratioToBeforeP50: Math.round((analysisP50 / percentile(analysis.samples.before, 50)) * 100) / 100,
    ratioToDecodeEncodeP50: Math.round(analysisP50 / percentile(analysis.samples.baseline, 50)),
    targetP50Ms: 1000,
    withinTarget: analysisP50 <= 1000,
    accuracy: analysis.accuracy,
  }),
);
const throughput = await throughputBench();
const bareRates = throughput.rates.bare ?? [];
console.log(
  JSON.stringify({
    benchmark: 'GET /api/verification/sessions/{id} vs bare Fastify (same bytes)',
    rounds: THROUGHPUT_ROUNDS,
    secondsPerWindow: DURATION,
    loadAverage: loadAverage(),
    bareRequestsPerSecond: Math.round(median(bareRates)),
    levels: LOG_LEVELS.map((level) => {
      const rates = throughput.rates[level] ?? [];
      // Each round's kyc window against the same round's bare window; the median is the figure.
      const ratios = rates.map((rate, round) => rate / (bareRates[round] as number));
      return {
        logLevel: level,
        kycRequestsPerSecond: Math.round(median(rates)),
        ratio: Math.round(median(ratios) * 100) / 100,
        ratioSpread: [Math.min(...ratios), Math.max(...ratios)].map((ratio) => Math.round(ratio * 100) / 100),
        logLines: throughput.logLines[level],
      };
    }),
    target: 0.5,
  }),
);
process.exit(0);
