// backlex projects benchmarks, each against a baseline measured in the same run, in interleaved
// rounds:
// 1. provisioning: create → `active` through the service (POST /projects, the pg-boss job, a host
//    process creating the file and applying the template, the PostgreSQL commit; GET polled every
//    5 ms), p50 and spread, beside a bare create + the same template on a DatabaseHost of the same
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
import { BacklexHarness, type TestOrg } from '../services/backlex/test/support/backlex.js';
import { benchLogLevels, fileLogger, type LogLevel } from './support/log-levels.js';
import { median, spread } from './support/statistics.js';

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

interface Instance {
  level: LogLevel;
  h: BacklexHarness;
  org: TestOrg;
  url: string;
}

async function boot(level: LogLevel): Promise<Instance> {
  const log = fileLogger(level, nodePath.join(logDir, `${level}.log`));
  const h = await BacklexHarness.boot({ workers: true, env: { LOG_LEVEL: level }, logger: log.logger });
  const org = await h.org();
  // Enough room for the run's projects: the plan is billing's to set; here it is set directly.
  await h.service.booted.context
    .database()
    .pool.query(`UPDATE organization SET "planId" = 'max' WHERE id = $1`, [org.id]);
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  const address = h.app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { level, h, org, url: `http://127.0.0.1:${port}` };
}

async function createActive(instance: Instance, template: string) {
  const started = performance.now();
  const created = await instance.h.app.inject({
    method: 'POST',
    url: `/api/org/${instance.org.slug}/projects`,
    headers: { cookie: instance.org.owner.cookie, 'x-forwarded-for': instance.org.owner.ip },
    payload: { name: `bench ${randomUUID().slice(0, 8)}`, template },
  });
  if (created.statusCode !== 201) throw new Error(`create: ${created.statusCode} ${created.body}`);
  const project = created.json().project as { id: string; slug: string; adminToken: string };
  for (;;) {
    const got = await instance.h.app.inject({
      method: 'GET',
      url: `/api/org/${instance.org.slug}/projects/${project.slug}`,
      headers: { cookie: instance.org.owner.cookie, 'x-forwarded-for': instance.org.owner.ip },
    });
    const status = got.json().project?.status;
    if (status === 'active') return { ...project, ms: performance.now() - started };
    if (status === 'failed') throw new Error(`provisioning failed: ${got.body}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
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
      provision[instance.level]?.push((await createActive(instance, TEMPLATE)).ms);
  }
}
console.log(
  `\n1. create → active (${PROVISION_ROUNDS}×${PROVISION_PER_ROUND} each, template ${TEMPLATE}), ms`,
);
for (const [name, values] of Object.entries(provision)) {
  console.log(
    `   ${name === 'bare' ? 'bare create + template' : `backlex (${name})`.padEnd(22)}  p50 ${median(values).toFixed(1)}  spread ${spread(values, 1)}`,
  );
}
console.log(`   target: backlex p50 ≤ 500 ms; load ${load()}`);

// 2. Primary-key SELECT: data API vs bare Fastify + libsql on the same file.
const subject = await createActive(instances[0] as Instance, TEMPLATE);
const seed = await (instances[0] as Instance).h.app.inject({
  method: 'POST',
  url: `/api/db/${subject.id}/query`,
  headers: { authorization: `Bearer ${subject.adminToken}` },
  payload: {
    sql: `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n LIMIT ${ROWS}) INSERT INTO todos (title) SELECT 'todo ' || i FROM n`,
  },
});
if (seed.statusCode !== 200) throw new Error(`seed: ${seed.body}`);
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
      const target = instance === instances[0] ? subject : await createActive(instance, TEMPLATE);
      if (instance !== instances[0]) {
        await instance.h.app.inject({
          method: 'POST',
          url: `/api/db/${target.id}/query`,
          headers: { authorization: `Bearer ${target.adminToken}` },
          payload: {
            sql: `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n LIMIT ${ROWS}) INSERT INTO todos (title) SELECT 'todo ' || i FROM n`,
          },
        });
      }
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
