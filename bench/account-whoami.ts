// GET /api/v1/auth/whoami with a valid RS256 JWT (signature check + in-memory revocation
// lookup, no database) through the account service, against a bare Fastify route answering the
// same shape, same run, same load generator (target ratio >= 0.6). Then POST /api/v1/auth/login
// p50/p99 with the service's argon2id parameters. Servers run in child processes.
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { PASSWORD_HASH_PARAMETERS } from '@trustplane/kernel';
import autocannon from 'autocannon';

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

async function start(mode: 'bare' | 'account', env: Record<string, string> = {}): Promise<Started> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', new URL('./account-whoami-server.ts', import.meta.url).pathname, mode],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, LOG_LEVEL: 'silent', ...env } },
  );
  for await (const line of createInterface({ input: child.stdout! })) {
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

async function measure(server: Started, token: string | undefined, seconds: number) {
  const result = await autocannon({ ...whoamiOptions(server, token), duration: seconds });
  return { rps: result.requests.average, p99: result.latency.p99, errors: result.errors + result.non2xx };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const account = await start('account');
let bare: Started | undefined;
try {
  const sample = await fetch(`http://127.0.0.1:${account.port}/api/v1/auth/whoami`, {
    headers: { authorization: `Bearer ${account.token}` },
  });
  bare = await start('bare', { BENCH_WHOAMI_BODY: await sample.text() });
  await measure(bare, undefined, 2); // warm-up
  await measure(account, account.token, 2);
  const bareRuns: Awaited<ReturnType<typeof measure>>[] = [];
  const accountRuns: Awaited<ReturnType<typeof measure>>[] = [];
  const roundSeconds = Math.max(2, Math.round(DURATION_SECONDS / ROUNDS));
  for (let round = 0; round < ROUNDS; round++) {
    bareRuns.push(await measure(bare, undefined, roundSeconds));
    accountRuns.push(await measure(account, account.token, roundSeconds));
  }
  const ratios = accountRuns.map((run, index) => run.rps / bareRuns[index]!.rps);
  const login = await autocannon({
    url: `http://127.0.0.1:${account.port}/api/v1/auth/login`,
    method: 'POST',
    connections: LOGIN_CONNECTIONS,
    duration: DURATION_SECONDS,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: account.email, password: account.password }),
  });
  const p = PASSWORD_HASH_PARAMETERS;
  const describe = (runs: Awaited<ReturnType<typeof measure>>[]) =>
    `${median(runs.map((run) => run.rps)).toFixed(0)} req/s (rounds ${runs.map((run) => run.rps.toFixed(0)).join(', ')}), ` +
    `p99 ${median(runs.map((run) => run.p99))} ms, errors ${runs.reduce((sum, run) => sum + run.errors, 0)}`;
  console.log(`bare fastify whoami : ${describe(bareRuns)}`);
  console.log(`account whoami (JWT): ${describe(accountRuns)}`);
  console.log(
    `ratio account/bare  : ${median(ratios).toFixed(2)} median of rounds ${ratios.map((r) => r.toFixed(2)).join(', ')} (target >= 0.60)`,
  );
  console.log(
    `login (argon2id m=${p.memoryCost} KiB, t=${p.timeCost}, p=${p.parallelism}; ${LOGIN_CONNECTIONS} connections): ` +
      `p50 ${login.latency.p50} ms, p99 ${login.latency.p99} ms, ${login.requests.average.toFixed(1)} req/s, ` +
      `non-2xx ${login.non2xx}, errors ${login.errors}`,
  );
} finally {
  if (bare) await stop(bare.child);
  await stop(account.child);
}
