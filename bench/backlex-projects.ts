// backlex projects benchmarks, each against a baseline measured in the same run, in interleaved
// rounds:
// 1. provisioning: create → `active` through the service (POST /projects, the pg-boss job, a host
//    process creating the file and applying the template, the PostgreSQL commit; the row polled
//    every 5 ms, then one GET), p50, p95 and max, beside a bare create + the same template on a DatabaseHost of the same
//    size (target: p50 ≤ 500 ms);
// 2. primary-key SELECT through the data API (POST /api/db/{id}/query, token check, host process)
//    against a bare Fastify route running the same statement on the same file with libsql
//    in-process (target ratio ≥ 0.4), requests/s from autocannon in a child process, with
//    backlex at each log level (`--log-levels info,silent`, default both; its log to a file).
// Run: setsid sh -c 'echo -10 > /proc/self/autogroup && exec nice -n -10 npx tsx bench/backlex-projects.ts'
//   (PROVISION_ROUNDS, PROVISION_PER_ROUND, SELECT_ROUNDS, BENCH_SECONDS, BENCH_CONNECTIONS)
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import nodePath from 'node:path';
import { promisify } from 'node:util';
import { createDatabaseHost } from '@trustplane/database-host';
import Fastify, { type FastifyInstance } from 'fastify';
import Database from 'libsql';
import { databasePaths } from '@trustplane/database-host';
import { createTemplateRegistry } from '../services/backlex/src/projects/templates.js';
import {
  type BenchBacklex,
  bootBenchBacklex,
  createActiveProject,
  seedTodos,
} from './support/backlex-projects.js';
import { benchLogLevels, fileLogger, type LogLevel } from './support/log-levels.js';
import { median, percentile, spread } from './support/statistics.js';

const PROVISION_ROUNDS = Number(process.env.PROVISION_ROUNDS ?? 3);
const PROVISION_PER_ROUND = Number(process.env.PROVISION_PER_ROUND ?? 10);
const SELECT_ROUNDS = Number(process.env.SELECT_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const TEMPLATE = 'todo';
const ROWS = 10_000;

const run = promisify(execFile);
const levels = benchLogLevels();
const logDir = await mkdtemp(nodePath.join(os.tmpdir(), 'backlex-projects-bench-'));
const load = () =>
  os
    .loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');
console.log(`backlex projects bench — ${os.cpus().length} cores, load ${load()}, levels ${levels.join(',')}`);

interface Instance extends BenchBacklex {
  level: LogLevel;
}

async function boot(level: LogLevel): Promise<Instance> {
  const log = fileLogger(level, nodePath.join(logDir, `${level}.log`));
  return { level, ...(await bootBenchBacklex({ env: { LOG_LEVEL: level }, logger: log.logger })) };
}

const instances: Instance[] = [];
for (const level of levels) instances.push(await boot(level));
const templates = createTemplateRegistry();
const statements = templates
  .migrations(TEMPLATE, 0, templates.latest(TEMPLATE) as number)
  .map((sql) => ({ sql }));
const bareDir = await mkdtemp(nodePath.join(os.tmpdir(), 'backlex-bare-host-'));
const bareHost = createDatabaseHost({ directory: bareDir });

// 1. Provisioning.
const provision: Record<string, number[]> = { bare: [] };
for (const instance of instances) provision[instance.level] = [];
for (let round = 0; round < PROVISION_ROUNDS; round += 1) {
  for (let n = 0; n < PROVISION_PER_ROUND; n += 1) {
    const id = `bare_${randomUUID().replaceAll('-', '')}`;
    const started = performance.now();
    await bareHost.create(id);
    await bareHost.execute(id, { statements, transaction: true });
    provision.bare?.push(performance.now() - started);
    for (const instance of instances)
      provision[instance.level]?.push((await createActiveProject(instance, TEMPLATE)).ms);
  }
}
console.log(
  `\n1. create → active (${PROVISION_ROUNDS}×${PROVISION_PER_ROUND} each, template ${TEMPLATE}), ms`,
);
for (const [name, values] of Object.entries(provision)) {
  // p95 and max too: an outlier (one creation in thirty) shows in them, never in the median.
  console.log(
    `   ${(name === 'bare' ? 'bare create + template' : `backlex (${name})`).padEnd(22)}  p50 ${median(values).toFixed(1)}  p95 ${percentile(values, 95).toFixed(1)}  max ${Math.max(...values).toFixed(1)}  (min ${Math.min(...values).toFixed(1)})`,
  );
}
console.log(`   target: backlex p50 ≤ 500 ms; load ${load()}`);

// 2. Primary-key SELECT: data API vs bare Fastify + libsql on the same file.
const subject = await createActiveProject(instances[0] as Instance, TEMPLATE);
await seedTodos(instances[0] as Instance, subject, ROWS);
const file = databasePaths(
  nodePath.join((instances[0] as Instance).h.service.booted.dataDir, 'backlex', 'databases'),
  subject.id,
).database;
const bare: FastifyInstance = Fastify();
const reader = new Database(file, { readonly: true });
const select = reader.prepare('SELECT id, title, done FROM todos WHERE id = ?');
bare.post('/query', async (request) => {
  const body = request.body as { sql: string; params: number[] };
  const rows = select.raw(true).all(...body.params) as unknown[][];
  return {
    results: [{ columns: ['id', 'title', 'done'], rows, rowsAffected: 0, lastInsertRowid: 0 }],
    sql: body.sql.length,
  };
});
await bare.listen({ port: 0, host: '127.0.0.1' });
const bareAddress = bare.server.address();
const bareUrl = `http://127.0.0.1:${typeof bareAddress === 'object' && bareAddress ? bareAddress.port : 0}/query`;
const body = JSON.stringify({ sql: 'SELECT id, title, done FROM todos WHERE id = ?', params: [4242] });
const autocannonBin = nodePath.join(process.cwd(), 'node_modules', 'autocannon', 'autocannon.js');

async function rps(url: string, headers: Record<string, string>): Promise<number> {
  const args = [autocannonBin, '-j', '-c', String(CONNECTIONS), '-d', String(SECONDS), '-m', 'POST'];
  for (const [name, value] of Object.entries({ 'content-type': 'application/json', ...headers })) {
    args.push('-H', `${name}=${value}`);
  }
  args.push('-b', body, url);
  const { stdout } = await run(process.execPath, args, { maxBuffer: 16 * 1024 * 1024 });
  const result = JSON.parse(stdout) as { requests: { average: number }; non2xx: number; errors: number };
  if (result.non2xx + result.errors > 0)
    throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return result.requests.average;
}

const selectRps: Record<string, number[]> = { bare: [] };
for (const instance of instances) selectRps[instance.level] = [];
for (let round = 0; round < SELECT_ROUNDS; round += 1) {
  // Rotate the order so no variant always runs first (or last) in a round.
  const order = ['bare', ...levels];
  const rotated = [...order.slice(round % order.length), ...order.slice(0, round % order.length)];
  for (const name of rotated) {
    if (name === 'bare') selectRps.bare?.push(await rps(bareUrl, {}));
    else {
      const instance = instances.find((entry) => entry.level === name) as Instance;
      const target = instance === instances[0] ? subject : await createActiveProject(instance, TEMPLATE);
      if (instance !== instances[0]) await seedTodos(instance, target, ROWS);
      selectRps[name]?.push(
        await rps(`${instance.url}/api/db/${target.id}/query`, {
          authorization: `Bearer ${target.adminToken}`,
        }),
      );
    }
  }
}
const bareMedian = median(selectRps.bare as number[]);
console.log(
  `\n2. primary-key SELECT, requests/s (${SELECT_ROUNDS} rounds × ${SECONDS} s, ${CONNECTIONS} connections)`,
);
console.log(
  `   bare Fastify + libsql       median ${bareMedian.toFixed(0)}  spread ${spread(selectRps.bare as number[], 0)}`,
);
for (const level of levels) {
  const values = selectRps[level] as number[];
  console.log(
    `   data API (${level})`.padEnd(31) +
      `median ${median(values).toFixed(0)}  spread ${spread(values, 0)}  ratio ${(median(values) / bareMedian).toFixed(2)}`,
  );
}
console.log(`   target: ratio ≥ 0.4; load ${load()}`);

reader.close();
await bare.close();
await bareHost.close();
for (const instance of instances) await instance.h.close();
await rm(bareDir, { recursive: true, force: true });
await rm(logDir, { recursive: true, force: true });
// The test database's admin connection (kernel testkit) outlives the harnesses and would keep
// the process alive.
process.exit(0);
