// backlex webhook deliveries/s vs raw signed `fetch` POSTs to the same receiver at equal
// concurrency (issue 16, target ≥ 0.2). backlex side (bench/support/backlex-webhooks-server.ts, its
// own process with its workers): a webhook created through the API, `N` catalogue events published
// in one transaction (event rows + fan-out jobs, what routes write), then the service's background
// work — one fan-out job per event, a kernel webhook delivery per matching webhook, signed, through
// the SSRF guard, POSTed, the attempt logged — timed from the commit until the receiver has all N.
// Raw side (this process): N POSTs of a same-sized body with the same signature scheme, `fetch`
// (keep-alive), as many at once as the dispatcher's concurrency. The receiver (its own process)
// verifies every signature and counts per round. Interleaved rounds per log level, medians of the
// per-round ratios, machine load printed.
//
//   npx tsx bench/backlex-webhooks.ts [--events 300] [--rounds 3] [--log-levels info,silent]
import { type ChildProcess, fork, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DELIVERY_HEADER, EVENT_HEADER, TIMESTAMP_HEADER, webhookSignatureHeader } from '@trustplane/kernel';
import { startEmbeddedPostgres } from '../packages/kernel/src/db/embedded-postgres.js';
import { askChild } from './support/child-ipc.js';
import { numberArgument } from './support/arguments.js';
import { benchLogLevels } from './support/log-levels.js';
import { median, spread } from './support/statistics.js';

const EVENTS = numberArgument('events', 300);
const ROUNDS = Math.max(2, numberArgument('rounds', 3));
const LEVELS = benchLogLevels();
const RAW_SECRET = 'whsec_bench_raw_0123456789abcdef01234567';

const databaseDir = path.join(os.tmpdir(), `trustplane-bench-postgres-${process.pid}`);
const database = await startEmbeddedPostgres(databaseDir);
const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'trustplane-bench-backlex-webhooks-'));

const receiver = fork(new URL('./support/webhook-receiver.ts', import.meta.url).pathname, [RAW_SECRET], {
  execArgv: ['--import', 'tsx'],
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
});
const port = await new Promise<number>((resolve) =>
  receiver.once('message', (message) => resolve((message as { port: number }).port)),
);
const base = `http://127.0.0.1:${port}/hooks`;
const done = new Set<string>();
const waiters = new Map<string, () => void>();
receiver.on('message', (message: { done?: string }) => {
  if (!message.done) return;
  done.add(message.done);
  waiters.get(message.done)?.();
});
async function expectRound(round: string, count: number, secret?: string) {
  if (secret) receiver.send({ addSecret: secret });
  receiver.send({ expect: { round, count } });
  await new Promise((resolve) => setTimeout(resolve, 20));
  return () =>
    done.has(round) ? Promise.resolve() : new Promise<void>((resolve) => waiters.set(round, resolve));
}

// The body backlex sends for `org.updated` (`{ id, type, orgId, createdAt, data }`), same size.
const rawBody = JSON.stringify({
  id: '00000000-0000-4000-8000-000000000000',
  type: 'org.updated',
  orgId: 'bench-org-0000000000000000000000',
  createdAt: new Date().toISOString(),
  data: { slug: 'org-bench', changed: ['name'], actorId: null },
});

async function backlexRound(server: ChildProcess, round: string, count: number): Promise<number> {
  const secret = await askChild<string>(server, { webhook: `${base}/${round}` }, 'secret');
  const received = await expectRound(round, count, secret);
  await askChild<number>(server, { publish: count }, 'committed');
  const start = performance.now();
  await received();
  return count / ((performance.now() - start) / 1000);
}

async function rawRound(round: string, count: number, concurrency: number): Promise<number> {
  const received = await expectRound(round, count);
  const start = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const index = next++;
        const timestamp = Math.floor(Date.now() / 1000);
        const response = await fetch(`${base}/${round}`, {
          method: 'POST',
          headers: {
            'Content-Type': 'application/json',
            [EVENT_HEADER]: 'org.updated',
            [DELIVERY_HEADER]: `${round}-${index}`,
            [TIMESTAMP_HEADER]: String(timestamp),
            'X-Trustplane-Signature': webhookSignatureHeader(RAW_SECRET, rawBody, timestamp),
          },
          body: rawBody,
        });
        await response.arrayBuffer();
        if (response.status !== 204) throw new Error(`receiver answered ${response.status}`);
      }
    }),
  );
  await received();
  return count / ((performance.now() - start) / 1000);
}

console.log(
  `backlex webhooks bench: ${os.cpus().length} CPUs, load ${os
    .loadavg()
    .map((value) => value.toFixed(2))
    .join(' ')}, ${ROUNDS} rounds × ${EVENTS} events, log levels ${LEVELS.join(', ')}`,
);
try {
  for (const level of LEVELS) {
    const logFile = fs.openSync(path.join(workDir, `backlex-${level}.log`), 'w');
    const server = spawn(
      process.execPath,
      ['--import', 'tsx', new URL('./support/backlex-webhooks-server.ts', import.meta.url).pathname, level],
      {
        stdio: ['ignore', logFile, 'inherit', 'ipc'],
        env: { ...process.env, TRUSTPLANE_TEST_ADMIN_URL: database.adminUrl },
      },
    );
    fs.closeSync(logFile);
    const concurrency = await new Promise<number>((resolve, reject) => {
      server.once('message', (message) => resolve((message as { concurrency: number }).concurrency));
      server.once('exit', (code) => reject(new Error(`backlex exited (${code}) before it was ready`)));
    });
    const backlex: number[] = [];
    const raw: number[] = [];
    try {
      await backlexRound(server, `${level}-warm-b`, 50);
      await rawRound(`${level}-warm-r`, 50, concurrency);
      for (let round = 1; round <= ROUNDS; round += 1) {
        const order = round % 2 === 1 ? ['backlex', 'raw'] : ['raw', 'backlex'];
        for (const side of order) {
          const name = `${level}-${round}-${side}`;
          if (side === 'backlex') backlex.push(await backlexRound(server, name, EVENTS));
          else raw.push(await rawRound(name, EVENTS, concurrency));
        }
        console.log(
          `[${level}] round ${round}/${ROUNDS}: backlex ${backlex.at(-1)?.toFixed(0)} deliveries/s, raw fetch ${raw
            .at(-1)
            ?.toFixed(0)} POSTs/s at concurrency ${concurrency} (load ${os.loadavg()[0]?.toFixed(2)})`,
        );
      }
    } finally {
      server.kill('SIGTERM');
      await new Promise((resolve) => server.once('exit', resolve));
    }
    const ratios = backlex.map((value, index) => value / Math.max(1, raw[index] as number));
    const ratio = median(ratios);
    console.log(
      `[${level}] backlex ${median(backlex).toFixed(0)} deliveries/s (${spread(backlex, 0)}), raw ${median(raw).toFixed(0)} POSTs/s (${spread(raw, 0)}); ` +
        `ratio ${ratio.toFixed(2)} (${spread(ratios, 2)}); target ≥ 0.2: ${ratio >= 0.2 ? 'met' : 'MISSED'}`,
    );
  }
} finally {
  receiver.kill('SIGTERM');
  await database.stop();
  fs.rmSync(workDir, { recursive: true, force: true });
}
console.log(
  `load at the end: ${os
    .loadavg()
    .map((value) => value.toFixed(2))
    .join(' ')}`,
);
