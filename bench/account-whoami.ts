// GET /api/v1/auth/whoami with a valid RS256 JWT (signature check + in-memory revocation
// lookup, no database) through the account service, against a bare Fastify route answering the
// same shape, same run, same load generator (target ratio >= 0.6). The account service runs
// twice: with logging silenced and at the default log level (one access line per request), as
// users run it. Each is compared by requests/s and by server CPU time per request (steadier on a
// 2-core machine where the load generator shares the CPUs). Then POST /api/v1/auth/login p50/p99
// with the service's argon2id parameters. Servers run in child processes.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { PASSWORD_HASH_PARAMETERS } from '@trustplane/kernel';
import autocannon from 'autocannon';
import { median } from './support/statistics.js';

const DURATION_SECONDS = Number(process.env.BENCH_DURATION ?? 10);
// Alternating rounds: on a shared machine a single pair of runs measures the neighbours' load.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const LOGIN_CONNECTIONS = Number(process.env.BENCH_LOGIN_CONNECTIONS ?? 4);

interface Started {
  child: ChildProcess;
  port: number;
  token?: string;
  email?: string;
  password?: string;
}

/** Extra node flags for the servers, e.g. `BENCH_NODE_FLAGS=--cpu-prof` to profile them. */
const NODE_FLAGS = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);

async function start(
  mode: 'bare' | 'account',
  env: Record<string, string | undefined> = {},
): Promise<Started> {
  const child = spawn(
    process.execPath,
    [...NODE_FLAGS, '--import', 'tsx', new URL('./account-whoami-server.ts', import.meta.url).pathname, mode],
    // stdout (the service's log lines) goes nowhere; the server reports its port on fd 3.
    { stdio: ['ignore', 'ignore', 'inherit', 'pipe'], env: { ...process.env, LOG_LEVEL: 'silent', ...env } },
  );
  for await (const line of createInterface({ input: child.stdio[3] as NodeJS.ReadableStream })) {
    return { child, ...(JSON.parse(line) as Omit<Started, 'child'>) };
  }
  throw new Error(`${mode} server exited before listening`);
}

async function stop(child: ChildProcess) {
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
}

function whoamiOptions(server: Started, token: string | undefined) {
  return {
    url: `http://127.0.0.1:${server.port}/api/v1/auth/whoami`,
    connections: CONNECTIONS,
    headers: token ? { authorization: `Bearer ${token}` } : {},
  };
}

/** The child's CPU time (user + system) in microseconds, from /proc (clock ticks of 10 ms). */
function cpuMicros(child: ChildProcess): number {
  const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

async function measure(server: Started, token: string | undefined, seconds: number) {
  const cpuBefore = cpuMicros(server.child);
  const result = await autocannon({ ...whoamiOptions(server, token), duration: seconds });
  const cpuPerRequest = (cpuMicros(server.child) - cpuBefore) / Math.max(1, result.requests.total);
  return {
    rps: result.requests.average,
    cpuPerRequest,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx,
  };
}
type Run = Awaited<ReturnType<typeof measure>>;

const account = await start('account');
// The default log level (info), as `npm start` runs; stdout goes to /dev/null here.
const accountDefault = await start('account', { LOG_LEVEL: 'info' });
let bare: Started | undefined;
try {
  const sample = await fetch(`http://127.0.0.1:${account.port}/api/v1/auth/whoami`, {
    headers: { authorization: `Bearer ${account.token}` },
  });
  bare = await start('bare', { BENCH_WHOAMI_BODY: await sample.text() });
  await measure(bare, undefined, 2); // warm-up
  await measure(account, account.token, 2);
  await measure(accountDefault, accountDefault.token, 2);
  const bareRuns: Run[] = [];
  const accountRuns: Run[] = [];
  const defaultRuns: Run[] = [];
  const roundSeconds = Math.max(2, Math.round(DURATION_SECONDS / ROUNDS));
  for (let round = 0; round < ROUNDS; round++) {
    bareRuns.push(await measure(bare, undefined, roundSeconds));
    accountRuns.push(await measure(account, account.token, roundSeconds));
    defaultRuns.push(await measure(accountDefault, accountDefault.token, roundSeconds));
  }
  const p = PASSWORD_HASH_PARAMETERS;
  const describe = (runs: Run[]) =>
    `${median(runs.map((run) => run.rps)).toFixed(0)} req/s (rounds ${runs.map((run) => run.rps.toFixed(0)).join(', ')}), ` +
    `${median(runs.map((run) => run.cpuPerRequest)).toFixed(1)} µs CPU/request, ` +
    `p99 ${median(runs.map((run) => run.p99))} ms, errors ${runs.reduce((sum, run) => sum + run.errors, 0)}`;
  const ratios = (runs: Run[]) => {
    const byRate = runs.map((run, index) => run.rps / bareRuns[index]!.rps);
    const byCpu = runs.map((run, index) => bareRuns[index]!.cpuPerRequest / run.cpuPerRequest);
    return (
      `${median(byRate).toFixed(2)} req/s (rounds ${byRate.map((r) => r.toFixed(2)).join(', ')}), ` +
      `${median(byCpu).toFixed(2)} by CPU per request (rounds ${byCpu.map((r) => r.toFixed(2)).join(', ')})`
    );
  };
  console.log(`bare fastify whoami          : ${describe(bareRuns)}`);
  console.log(`account whoami, silent       : ${describe(accountRuns)}`);
  console.log(`account whoami, default level: ${describe(defaultRuns)}`);
  console.log(`ratio silent/bare : ${ratios(accountRuns)} (target >= 0.60)`);
  console.log(`ratio default/bare: ${ratios(defaultRuns)}`);
  const login = await autocannon({
    url: `http://127.0.0.1:${account.port}/api/v1/auth/login`,
    method: 'POST',
    connections: LOGIN_CONNECTIONS,
    duration: DURATION_SECONDS,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: account.email, password: account.password }),
  });
  console.log(
    `login (argon2id m=${p.memoryCost} KiB, t=${p.timeCost}, p=${p.parallelism}; ${LOGIN_CONNECTIONS} connections): ` +
      `p50 ${login.latency.p50} ms, p99 ${login.latency.p99} ms, ${login.requests.average.toFixed(1)} req/s, ` +
      `non-2xx ${login.non2xx}, errors ${login.errors}`,
  );
} finally {
  if (bare) await stop(bare.child);
  await stop(account.child);
  await stop(accountDefault.child);
}
