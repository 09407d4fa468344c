// `GET /api/org/{slug}/members` through backlex, with a session cookie and with a `pak_` key, vs a
// bare Fastify route running the same two statements on the same pool and answering the same JSON
// (bench/support/backlex-server.ts). The cookie path is the whole request: better-auth's session
// (its signed cache cookie), the Origin rule, the per-caller limit (PostgreSQL store), the org gate
// (membership and allowlist) and the contract-typed reply; the key path verifies the key through
// the api-key plugin instead. Interleaved rounds per log level (`--log-levels info,silent`),
// autocannon from this process, medians and spreads of requests/s and server CPU per request,
// machine load printed. Targets: cookie ≥ 0.5 of bare, key ≥ 0.35.
//
//   npx tsx bench/backlex.ts [--rounds 4] [--log-levels info,silent] [--cpu-prof DIR]
//   (BENCH_DURATION=5, BENCH_CONNECTIONS=20)
//
// Webhook deliveries/s vs raw signed fetch: bench/backlex-webhooks.ts.
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { startEmbeddedPostgres } from '../packages/kernel/src/db/embedded-postgres.js';
import { askChild } from './support/child-ipc.js';
import { numberArgument, textArgument } from './support/arguments.js';
import { benchLogLevels } from './support/log-levels.js';
import { median, spread } from './support/statistics.js';

const DURATION_SECONDS = Number(process.env.BENCH_DURATION ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 20);
const ROUNDS = Math.max(2, numberArgument('rounds', 4));
const LEVELS = benchLogLevels();
type Path = 'bare' | 'cookie' | 'key';
const PATHS: Path[] = ['bare', 'cookie', 'key'];
// `--cpu-prof DIR`: the backlex process writes a V8 CPU profile there (node --cpu-prof) when it exits.
const CPU_PROFILE_DIR = textArgument('cpu-prof');

const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'trustplane-bench-backlex-'));
const databaseDir = path.join(os.tmpdir(), `trustplane-bench-postgres-${process.pid}`);
const database = await startEmbeddedPostgres(databaseDir);

interface Server {
  child: ChildProcess;
  backlexPort: number;
  barePort: number;
  slug: string;
  ip: string;
  key: string;
  logFile: string;
}

async function startServer(level: string): Promise<Server> {
  const logFile = path.join(workDir, `backlex-${level}.log`);
  const log = fs.openSync(logFile, 'w');
  const child = spawn(
    process.execPath,
    [
      ...(CPU_PROFILE_DIR ? ['--cpu-prof', '--cpu-prof-dir', path.resolve(CPU_PROFILE_DIR)] : []),
      '--import',
      'tsx',
      new URL('./support/backlex-server.ts', import.meta.url).pathname,
      level,
    ],
    {
      stdio: ['ignore', log, 'inherit', 'ipc'],
      env: { ...process.env, TRUSTPLANE_TEST_ADMIN_URL: database.adminUrl },
    },
  );
  fs.closeSync(log);
  const ready = await new Promise<Omit<Server, 'child' | 'logFile'>>((resolve, reject) => {
    child.once('message', (message) => resolve(message as Omit<Server, 'child' | 'logFile'>));
    child.once('exit', (code) => reject(new Error(`backlex server exited (${code}) before listening`)));
  });
  return { ...ready, child, logFile };
}

interface Sample {
  requestsPerSecond: number;
  cpuMicrosPerRequest: number;
  errors: number;
}

async function load(server: Server, which: Path, duration: number): Promise<Sample> {
  const headers: Record<string, string> = { 'x-forwarded-for': server.ip };
  if (which === 'cookie') headers.cookie = await askChild<string>(server.child, { cookie: true }, 'cookie');
  if (which === 'key') headers.authorization = `Bearer ${server.key}`;
  const url =
    which === 'bare'
      ? `http://127.0.0.1:${server.barePort}/members`
      : `http://127.0.0.1:${server.backlexPort}/api/org/${server.slug}/members`;
  const before = await askChild<number>(server.child, { cpu: true }, 'cpuMicros');
  const result = await autocannon({ url, connections: CONNECTIONS, duration, headers });
  const after = await askChild<number>(server.child, { cpu: true }, 'cpuMicros');
  return {
    requestsPerSecond: result.requests.average,
    cpuMicrosPerRequest: (after - before) / Math.max(1, result.requests.total),
    errors: result.errors + result.non2xx,
  };
}

console.log(
  `backlex members bench: ${os.cpus().length} CPUs, load ${os
    .loadavg()
    .map((value) => value.toFixed(2))
    .join(' ')}, ` +
    `${ROUNDS} rounds × ${DURATION_SECONDS} s, ${CONNECTIONS} connections, log levels ${LEVELS.join(', ')}`,
);
try {
  for (const level of LEVELS) {
    const server = await startServer(level);
    const samples = new Map<Path, Sample[]>(PATHS.map((which) => [which, []]));
    try {
      for (const which of PATHS) await load(server, which, 2); // warm-up (JIT, pools)
      for (let round = 1; round <= ROUNDS; round += 1) {
        for (const which of PATHS) samples.get(which)?.push(await load(server, which, DURATION_SECONDS));
        const line = PATHS.map((which) => {
          const sample = samples.get(which)?.at(-1) as Sample;
          return `${which} ${sample.requestsPerSecond.toFixed(0)} req/s ${sample.cpuMicrosPerRequest.toFixed(0)} µs`;
        });
        console.log(
          `[${level}] round ${round}/${ROUNDS}: ${line.join(', ')} (load ${os.loadavg()[0]?.toFixed(2)})`,
        );
      }
    } finally {
      server.child.kill('SIGTERM');
      await new Promise((resolve) => server.child.once('exit', resolve));
    }
    const rps = (which: Path) => (samples.get(which) ?? []).map((sample) => sample.requestsPerSecond);
    const cpu = (which: Path) => (samples.get(which) ?? []).map((sample) => sample.cpuMicrosPerRequest);
    const errors = (which: Path) =>
      (samples.get(which) ?? []).reduce((sum, sample) => sum + sample.errors, 0);
    for (const which of PATHS) {
      console.log(
        `[${level}] ${which.padEnd(6)}: ${median(rps(which)).toFixed(0)} req/s (${spread(rps(which), 0)}), ` +
          `${median(cpu(which)).toFixed(0)} µs CPU/request (${spread(cpu(which), 0)}), errors ${errors(which)}`,
      );
    }
    // Per round (interleaved, so a load swing hits all three alike), then the median of the ratios.
    const ratios = (which: Path) =>
      rps(which).map((value, index) => value / Math.max(1, rps('bare')[index] as number));
    const cpuRatios = (which: Path) =>
      cpu(which).map((value, index) => (cpu('bare')[index] as number) / Math.max(1, value));
    for (const [which, target] of [
      ['cookie', 0.5],
      ['key', 0.35],
    ] as const) {
      const ratio = median(ratios(which));
      console.log(
        `[${level}] ${which} / bare: ${ratio.toFixed(2)} (${spread(ratios(which), 2)}) requests/s, ` +
          `${median(cpuRatios(which)).toFixed(2)} by CPU per request; target ≥ ${target}: ${ratio >= target ? 'met' : 'MISSED'}`,
      );
    }
  }
} finally {
  await database.stop();
  fs.rmSync(workDir, { recursive: true, force: true });
}
console.log(
  `load at the end: ${os
    .loadavg()
    .map((value) => value.toFixed(2))
    .join(' ')}`,
);
