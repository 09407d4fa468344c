// Requests/s of a service health route through the full kernel stack (request id, logs,
// metrics, zod serialisation, error envelope) vs a bare Fastify route, same run, same
// load generator. Each server runs in its own process so autocannon does not share its
// event loop. Target ratio ≥ 0.7.
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';

const DURATION_SECONDS = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);

async function startServer(mode: 'bare' | 'kernel'): Promise<{ port: number; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', new URL('./support/health-server.ts', import.meta.url).pathname, mode],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, LOG_LEVEL: 'silent' },
    },
  );
  const lines = createInterface({ input: child.stdout! });
  for await (const line of lines) {
    const { port } = JSON.parse(line) as { port: number };
    return { port, child };
  }
  throw new Error(`${mode} server exited before listening`);
}

async function measure(
  mode: 'bare' | 'kernel',
): Promise<{ requestsPerSecond: number; p99: number; errors: number }> {
  const { port, child } = await startServer(mode);
  try {
    const url = `http://127.0.0.1:${port}/health`;
    await autocannon({ url, connections: CONNECTIONS, duration: 2 }); // warm-up
    const result = await autocannon({ url, connections: CONNECTIONS, duration: DURATION_SECONDS });
    return {
      requestsPerSecond: result.requests.average,
      p99: result.latency.p99,
      errors: result.errors + result.non2xx,
    };
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }
}

const bare = await measure('bare');
const kernel = await measure('kernel');
const ratio = kernel.requestsPerSecond / bare.requestsPerSecond;
console.log(
  `bare fastify  : ${bare.requestsPerSecond.toFixed(0)} req/s, p99 ${bare.p99} ms, errors ${bare.errors}`,
);
console.log(
  `kernel stack  : ${kernel.requestsPerSecond.toFixed(0)} req/s, p99 ${kernel.p99} ms, errors ${kernel.errors}`,
);
console.log(`ratio kernel/bare: ${ratio.toFixed(2)} (target >= 0.70)`);
