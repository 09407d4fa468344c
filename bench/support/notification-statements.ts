/**
 * What PostgreSQL does per email in bench/notification.ts's bulk phase: statements (from
 * pg_stat_statements, preloaded on a throw-away cluster), commits and the PostgreSQL processes'
 * CPU (from /proc), beside this process's CPU. Not a benchmark: a measuring aid for the pipeline.
 *
 *   npx tsx bench/support/notification-statements.ts [--emails 5000] [--top 25] [--explain]
 *   node --cpu-prof --import tsx bench/support/notification-statements.ts      (a Node profile too)
 */
import { readdirSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { freePort, loadPlatformConfig, Platform, startEmbeddedPostgres } from '@trustplane/kernel';
import pg from 'pg';
// @ts-expect-error pg-boss's plans have no types
import plans from 'pg-boss/src/plans.js';
import { loadNotificationProto, startGrpcServer } from '../../services/notification/src/grpc/grpc-server.js';
import { notificationRuntime, notificationService } from '../../services/notification/src/index.js';
import { untilDelivered } from './until-delivered.js';

const argument = (name: string, fallback: number) => {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? Number(process.argv[index + 1]) : fallback;
};
const EMAILS = argument('emails', 5000);
const TOP = argument('top', 25);
/**
 * --auto-explain <ms>: the plans of the service's statements slower than that (auto_explain, sent
 * to the client as notices: the embedded server's own log is not kept), the slowest printed.
 */
const AUTO_EXPLAIN_MS = argument('auto-explain', -1);

const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'trustplane-bench-statements-'));
// A first start to preload pg_stat_statements, which only a restart applies.
{
  const server = await startEmbeddedPostgres(dataDir);
  const admin = new pg.Client(server.adminUrl);
  await admin.connect();
  await admin.query(`ALTER SYSTEM SET shared_preload_libraries = pg_stat_statements, auto_explain`);
  await admin.query(`ALTER SYSTEM SET pg_stat_statements.track = 'all'`);
  if (AUTO_EXPLAIN_MS >= 0) {
    await admin.query(`ALTER SYSTEM SET auto_explain.log_min_duration = ${Number(AUTO_EXPLAIN_MS)}`);
    await admin.query(`ALTER SYSTEM SET auto_explain.log_analyze = on`);
    await admin.query(`ALTER SYSTEM SET auto_explain.log_level = notice`);
  }
  await admin.end();
  await server.stop();
}
const env = { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn', TRUSTPLANE_DATA_DIR: dataDir };
const platform = await Platform.open({ config: loadPlatformConfig(env), role: 'server' });
await platform.migrate([notificationService]);
const context = platform.createContext(notificationService, notificationService.ports.http);
const pool = context.database().pool;
const plansSeen: { ms: number; text: string }[] = [];
// Connections the service opens from here on hand their notices (auto_explain's plans) over.
pool.on('connect', (connection) =>
  connection.on('notice', (notice) => {
    const ms = Number(/duration: ([\d.]+) ms/i.exec(notice.message ?? '')?.[1]);
    if (Number.isFinite(ms)) plansSeen.push({ ms, text: notice.message ?? '' });
  }),
);
// pg-boss fetches per queue (its statement text is the same for every queue).
const fetches = new Map<string, { calls: number; jobs: number }>();
{
  const db = platform.jobs.boss.getDb();
  const executeSql = db.executeSql.bind(db);
  db.executeSql = async (text, values) => {
    const result = await executeSql(text, values);
    if (text.includes('WITH next as') && values) {
      const entry = fetches.get(String(values[0])) ?? { calls: 0, jobs: 0 };
      entry.calls += 1;
      entry.jobs += result.rows.length;
      fetches.set(String(values[0]), entry);
    }
    return result;
  };
}
const runtime = notificationRuntime(context);
runtime.defineJobs();
await platform.startBackground();
const workers = await runtime.startWorkers();
const service = await startGrpcServer(runtime, await freePort(), notificationService.version);
await pool.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements WITH SCHEMA public');

const Client = loadNotificationProto().notification.NotificationService;
const client = new Client(`127.0.0.1:${service.port}`, grpc.credentials.createInsecure());
const bulk = (items: object[]) =>
  new Promise<{ notification_ids: string[] }>((resolve, reject) =>
    (
      client as unknown as {
        CreateBulkNotification: (r: object, cb: (e: Error | null, v: never) => void) => void;
      }
    ).CreateBulkNotification({ notifications: items }, (error, value) =>
      error ? reject(error) : resolve(value),
    ),
  );

async function deliver(count: number, prefix: string): Promise<number> {
  const started = performance.now();
  const created: string[] = [];
  for (let start = 0; start < count; start += 1000) {
    const reply = await bulk(
      Array.from({ length: Math.min(1000, count - start) }, (_, i) => ({
        recipients: [{ type: 'email', address: `${prefix}${start + i}@example.com` }],
        content: { subject: `Bulk ${start + i}`, body: 'Hello from the bench' },
        provider_type: 'email',
      })),
    );
    created.push(...reply.notification_ids);
  }
  await untilDelivered(pool, created);
  return (performance.now() - started) / 1000;
}

/** CPU seconds of the postmaster's process tree (backends, walwriter, checkpointer, …). */
const clockTicks = 100;
function postgresCpuSeconds(): number {
  const postmaster = Number(
    readFileSync(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0],
  );
  let ticks = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const pid = Number(entry);
      const ppid = Number(fields[1]);
      if (pid !== postmaster && ppid !== postmaster) continue;
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // gone meanwhile
    }
  }
  return ticks / clockTicks;
}
const databaseStats = async () =>
  (
    await pool.query<{
      xact_commit: string;
      blks_hit: string;
      blks_read: string;
      tup_inserted: string;
      tup_updated: string;
      tup_deleted: string;
    }>(
      `SELECT xact_commit, blks_hit, blks_read, tup_inserted, tup_updated, tup_deleted FROM pg_stat_database WHERE datname = current_database()`,
    )
  ).rows[0]!;
const wal = async () =>
  (
    await pool.query<{ wal_records: string; wal_bytes: string }>(
      'SELECT wal_records, wal_bytes FROM pg_stat_wal',
    )
  ).rows[0]!;

await deliver(200, 'warm');
await pool.query('SELECT pg_stat_statements_reset()');
await pool.query('SELECT pg_stat_reset()');
await new Promise((resolve) => setTimeout(resolve, 600)); // stats flush
const before = {
  db: await databaseStats(),
  wal: await wal(),
  pgCpu: postgresCpuSeconds(),
  node: process.cpuUsage(),
};
// --explain: every 3 s, the plans of pg-boss's fetch and completion of the delivery queue as they
// run now (in a transaction rolled back, so nothing is taken).
let explained = '';
const explainTimer = process.argv.includes('--explain')
  ? setInterval(async () => {
      const explainer = await pool.connect();
      try {
        await explainer.query('BEGIN');
        const fetchPlan = await explainer.query(
          `EXPLAIN (ANALYZE) ${plans.fetchNextJob('pgboss')({ includeMetadata: true })}`,
          ['notification.delivery.queue', 8],
        );
        const active = await explainer.query<{ ids: string[] | null }>(
          `SELECT array_agg(id) AS ids FROM (SELECT id FROM pgboss.job
            WHERE name = 'notification.delivery.queue' AND state = 'active' LIMIT 8) a`,
        );
        const completePlan = await explainer.query(`EXPLAIN (ANALYZE) ${plans.completeJobs('pgboss')}`, [
          'notification.delivery.queue',
          active.rows[0]?.ids ?? [],
          null,
        ]);
        for (const [label, plan] of [
          ['fetch', fetchPlan],
          ['complete', completePlan],
        ] as const)
          explained += `${label}:\n${plan.rows
            .map((row) => String(row['QUERY PLAN']))
            .filter((line) => /Scan|Join|Nested Loop|Sort Key|Execution Time/.test(line))
            .map((line) => `  ${line.trim().slice(0, 160)}`)
            .join('\n')}\n`;
      } finally {
        await explainer.query('ROLLBACK');
        explainer.release();
      }
    }, 3000)
  : undefined;
// The bulk phase's bounds on the clock of `node --cpu-prof` profiles (µs), to cut a profile to it.
plansSeen.length = 0;
fetches.clear();
const windowStart = process.hrtime.bigint() / 1000n;
const seconds = await deliver(EMAILS, 'bulk');
console.log(`bulk phase µs ${windowStart}–${process.hrtime.bigint() / 1000n}`);
clearInterval(explainTimer);
if (explained) console.log(explained);
await new Promise((resolve) => setTimeout(resolve, 1200)); // outbox relay catches up, stats flush
const after = {
  db: await databaseStats(),
  wal: await wal(),
  pgCpu: postgresCpuSeconds(),
  node: process.cpuUsage(before.node),
};

const per = (a: string, b: string) => ((Number(b) - Number(a)) / EMAILS).toFixed(2);
console.log(
  `${EMAILS} emails in ${seconds.toFixed(1)} s: ${(EMAILS / seconds).toFixed(0)}/s, load ${os.loadavg()[0]?.toFixed(1)}`,
);
console.log(
  `per email: commits ${per(before.db.xact_commit, after.db.xact_commit)}, ` +
    `tuples ins ${per(before.db.tup_inserted, after.db.tup_inserted)} upd ${per(before.db.tup_updated, after.db.tup_updated)} del ${per(before.db.tup_deleted, after.db.tup_deleted)}, ` +
    `blocks hit ${per(before.db.blks_hit, after.db.blks_hit)}, WAL records ${per(before.wal.wal_records, after.wal.wal_records)} ` +
    `bytes ${per(before.wal.wal_bytes, after.wal.wal_bytes)}`,
);
console.log(
  `CPU per email: PostgreSQL ${(((after.pgCpu - before.pgCpu) / EMAILS) * 1000).toFixed(2)} ms, ` +
    `node ${((after.node.user + after.node.system) / 1000 / EMAILS).toFixed(2)} ms`,
);
const { rows } = await pool.query<{ calls: string; total: number; rows: string; query: string }>(
  `SELECT calls, total_exec_time AS total, rows, regexp_replace(query, '\\s+', ' ', 'g') AS query
     FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
    ORDER BY total_exec_time DESC LIMIT $1`,
  [TOP],
);
const { rows: totals } = await pool.query<{ calls: string; total: number }>(
  `SELECT sum(calls) AS calls, sum(total_exec_time) AS total FROM pg_stat_statements
    WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())`,
);
console.log(
  `statements per email ${(Number(totals[0]!.calls) / EMAILS).toFixed(2)}, execution ${(totals[0]!.total / EMAILS).toFixed(3)} ms per email`,
);
for (const row of rows)
  console.log(
    `${(Number(row.calls) / EMAILS).toFixed(3).padStart(7)}/mail ${(row.total / EMAILS).toFixed(3).padStart(7)} ms/mail ` +
      `rows ${String(row.rows).padStart(6)}  ${row.query.slice(0, 220)}`,
  );

console.log(
  `pg-boss fetches during the bulk phase: ${[...fetches]
    .sort((a, b) => b[1].calls - a[1].calls)
    .map(([queue, entry]) => `${queue} ${entry.calls} (${entry.jobs} jobs)`)
    .join(', ')}`,
);
if (AUTO_EXPLAIN_MS >= 0) {
  console.log(`${plansSeen.length} plans over ${AUTO_EXPLAIN_MS} ms, by statement (count, total ms):`);
  const byStatement = new Map<string, { count: number; ms: number }>();
  for (const plan of plansSeen) {
    const text = /Query Text:([\s\S]*?)(Query Parameters:|\n[A-Z][a-z]+ )/.exec(plan.text)?.[1] ?? plan.text;
    const key = text.replace(/\s+/g, ' ').trim().slice(0, 100);
    const entry = byStatement.get(key) ?? { count: 0, ms: 0 };
    entry.count += 1;
    entry.ms += plan.ms;
    byStatement.set(key, entry);
  }
  for (const [key, entry] of [...byStatement].sort((a, b) => b[1].ms - a[1].ms))
    console.log(`${String(entry.count).padStart(5)} ${entry.ms.toFixed(0).padStart(7)} ms  ${key}`);
  console.log('the slowest:');
  for (const plan of plansSeen.sort((a, b) => b.ms - a.ms).slice(0, 3)) console.log(plan.text.slice(0, 8000));
}

client.close();
await service.stop();
await workers.stop();
await platform.close();
await fs.rm(dataDir, { recursive: true, force: true });
