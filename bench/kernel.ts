// Requests/s of a service health route through the full kernel stack (request id, one log line
// per request, metrics, zod serialisation, error envelope) vs a bare Fastify route, in one run:
// the kernel at the default log level (`info`, every request logged) and with logs silenced.
// Each server runs in its own process (autocannon keeps its own event loop) and the three are
// measured in interleaved rounds, so a change in the machine's load hits all of them alike;
// the medians are compared, as requests/s and as server CPU time per request (steadier when other
// work shares the machine). Logs go to a file, as they would to a log collector.
// Targets: default ≥ 0.6 of bare, silent ≥ 0.85.
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { startEmbeddedPostgres } from '../packages/kernel/src/db/embedded-postgres.js';
import { median } from './support/statistics.js';

const DURATION_SECONDS = Number(process.env.BENCH_DURATION ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
/** Extra node flags for the servers, e.g. `BENCH_NODE_FLAGS=--cpu-prof` to profile them. */
const NODE_FLAGS = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);

type Mode = 'bare' | 'default' | 'silent';
const MODES: Mode[] = ['bare', 'default', 'silent'];

const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'trustplane-bench-kernel-'));
// Beside workDir, not in it: mkdtemp's directory is private to this user, and PostgreSQL may run as another.
const databaseDir = path.join(os.tmpdir(), `trustplane-bench-postgres-${process.pid}`);
const database = await startEmbeddedPostgres(databaseDir);

async function startServer(mode: Mode): Promise<{ port: number; child: ChildProcess; logFile: string }> {
  const logFile = path.join(workDir, `${mode}.log`);
  const log = fs.openSync(logFile, 'w');
  const child = spawn(
    process.execPath,
    [...NODE_FLAGS, '--import', 'tsx', new URL('./support/health-server.ts', import.meta.url).pathname, mode],
    {
      stdio: ['ignore', log, 'inherit', 'ipc'],
      env: {
        ...process.env,
        LOG_LEVEL: mode === 'silent' ? 'silent' : 'info',
        TRUSTPLANE_TEST_ADMIN_URL: database.adminUrl,
      },
    },
  );
  fs.closeSync(log);
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (message) => resolve((message as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`${mode} server exited (${code}) before listening`)));
  });
  return { port, child, logFile };
}

interface Sample {
  requestsPerSecond: number;
  /** Server CPU time (user + system) per request, in microseconds. */
  cpuMicrosPerRequest: number;
  p99: number;
  errors: number;
}

function cpuMicros(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    const onMessage = (message: unknown) => {
      const { cpuMicros } = message as { cpuMicros?: number };
      if (cpuMicros === undefined) return;
      child.off('message', onMessage);
      resolve(cpuMicros);
    };
    child.on('message', onMessage);
    child.send({ cpu: true });
  });
}

async function load(server: { port: number; child: ChildProcess }, duration: number): Promise<Sample> {
  const cpuBefore = await cpuMicros(server.child);
  const result = await autocannon({
    url: `http://127.0.0.1:${server.port}/health`,
    connections: CONNECTIONS,
    duration,
  });
  const cpuAfter = await cpuMicros(server.child);
  return {
    requestsPerSecond: result.requests.average,
    cpuMicrosPerRequest: (cpuAfter - cpuBefore) / Math.max(1, result.requests.total),
    p99: result.latency.p99,
    errors: result.errors + result.non2xx,
  };
}

const servers = new Map<Mode, Awaited<ReturnType<typeof startServer>>>();
const samples = new Map<Mode, Sample[]>(MODES.map((mode) => [mode, []]));
try {
  for (const mode of MODES) servers.set(mode, await startServer(mode));
  for (const mode of MODES) await load(servers.get(mode)!, 2); // warm-up (JIT, pools)
  for (let round = 1; round <= ROUNDS; round += 1) {
    for (const mode of MODES) samples.get(mode)!.push(await load(servers.get(mode)!, DURATION_SECONDS));
    const line = MODES.map((mode) => {
      const sample = samples.get(mode)!.at(-1)!;
      return `${mode} ${sample.requestsPerSecond.toFixed(0)} req/s ${sample.cpuMicrosPerRequest.toFixed(0)} µs`;
    });
    console.log(`round ${round}/${ROUNDS}: ${line.join(', ')}`);
  }
} finally {
  for (const { child } of servers.values()) {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }
}

const summary = Object.fromEntries(
  MODES.map((mode) => {
    const runs = samples.get(mode)!;
    return [
      mode,
      {
        requestsPerSecond: median(runs.map((run) => run.requestsPerSecond)),
        cpuMicrosPerRequest: median(runs.map((run) => run.cpuMicrosPerRequest)),
        p99: median(runs.map((run) => run.p99)),
        errors: runs.reduce((sum, run) => sum + run.errors, 0),
      },
    ];
  }),
) as Record<Mode, Sample>;
// A check that the default server did log every request: lines written vs requests measured.
const logLines = fs.readFileSync(servers.get('default')!.logFile, 'utf8').split('\n').length - 1;
const measured = samples
  .get('default')!
  .reduce((sum, run) => sum + run.requestsPerSecond * DURATION_SECONDS, 0);
for (const mode of MODES) {
  const { requestsPerSecond, cpuMicrosPerRequest, p99, errors } = summary[mode];
  console.log(
    `${mode.padEnd(8)}: ${requestsPerSecond.toFixed(0)} req/s, ${cpuMicrosPerRequest.toFixed(1)} µs CPU/request` +
      ` (medians of ${ROUNDS}), p99 ${p99} ms, errors ${errors}`,
  );
}
console.log(
  `default : LOG_LEVEL=info, ${logLines} log lines for ${Math.round(measured)} measured requests (+ warm-up)`,
);
// Two ratios: throughput, and bare's CPU per request over the stack's (what throughput would be
// on an idle machine, where the server is the bottleneck).
const ratio = (mode: Mode) => summary[mode].requestsPerSecond / summary.bare.requestsPerSecond;
const cpuRatio = (mode: Mode) => summary.bare.cpuMicrosPerRequest / summary[mode].cpuMicrosPerRequest;
console.log(
  `ratio default/bare: ${ratio('default').toFixed(2)} req/s, ${cpuRatio('default').toFixed(2)} by CPU per request (target >= 0.60)`,
);
console.log(
  `ratio silent/bare : ${ratio('silent').toFixed(2)} req/s, ${cpuRatio('silent').toFixed(2)} by CPU per request (target >= 0.85)`,
);
console.log(
  `load average: ${os
    .loadavg()
    .map((value) => value.toFixed(1))
    .join(' ')} on ${os.availableParallelism()} cores`,
);
await database.stop();
fs.rmSync(workDir, { recursive: true, force: true });
fs.rmSync(databaseDir, { recursive: true, force: true });
