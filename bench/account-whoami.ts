// GET /api/v1/auth/whoami with a valid RS256 JWT (signature check + in-memory revocation
// lookup, no database) through the account service, against a bare Fastify route answering the
// same shape, same run, same load generator (target ratio >= 0.6). Then POST /api/v1/auth/login
// p50/p99 with the service's argon2id parameters. Servers run in child processes.
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { PASSWORD_HASH_PARAMETERS } from '@trustplane/kernel';
import autocannon from 'autocannon';

const DURATION_SECONDS = Number(process.env.BENCH_DURATION ?? 10);
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

async function whoami(server: Started) {
  const options = {
    url: `http://127.0.0.1:${server.port}/api/v1/auth/whoami`,
    connections: CONNECTIONS,
    headers: server.token ? { authorization: `Bearer ${server.token}` } : {},
  };
  await autocannon({ ...options, duration: 2 }); // warm-up
  const result = await autocannon({ ...options, duration: DURATION_SECONDS });
  return { rps: result.requests.average, p99: result.latency.p99, errors: result.errors + result.non2xx };
}

const account = await start('account');
try {
  const sample = await fetch(`http://127.0.0.1:${account.port}/api/v1/auth/whoami`, {
    headers: { authorization: `Bearer ${account.token}` },
  });
  const bare = await start('bare', { BENCH_WHOAMI_BODY: await sample.text() });
  const bareResult = await whoami(bare).finally(() => stop(bare.child));
  const accountResult = await whoami(account);
  const login = await autocannon({
    url: `http://127.0.0.1:${account.port}/api/v1/auth/login`,
    method: 'POST',
    connections: LOGIN_CONNECTIONS,
    duration: DURATION_SECONDS,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: account.email, password: account.password }),
  });
  const ratio = accountResult.rps / bareResult.rps;
  const p = PASSWORD_HASH_PARAMETERS;
  console.log(
    `bare fastify whoami : ${bareResult.rps.toFixed(0)} req/s, p99 ${bareResult.p99} ms, errors ${bareResult.errors}`,
  );
  console.log(
    `account whoami (JWT): ${accountResult.rps.toFixed(0)} req/s, p99 ${accountResult.p99} ms, errors ${accountResult.errors}`,
  );
  console.log(`ratio account/bare  : ${ratio.toFixed(2)} (target >= 0.60)`);
  console.log(
    `login (argon2id m=${p.memoryCost} KiB, t=${p.timeCost}, p=${p.parallelism}; ${LOGIN_CONNECTIONS} connections): ` +
      `p50 ${login.latency.p50} ms, p99 ${login.latency.p99} ms, ${login.requests.average.toFixed(1)} req/s, ` +
      `non-2xx ${login.non2xx}, errors ${login.errors}`,
  );
} finally {
  await stop(account.child);
}
