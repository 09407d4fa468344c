// CPU profile of backlex's data API under load (the hot path of bench/backlex-projects.ts): boots
// the service, provisions a `todo` project with 10k rows, then profiles only while autocannon (a
// child process) sends primary-key SELECTs. Writes a .cpuprofile (Chrome DevTools / speedscope).
// Run: npx tsx bench/backlex-data-api-profile.ts [--seconds S] [--out file] [--log-levels info]
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { Session } from 'node:inspector/promises';
import nodePath from 'node:path';
import { promisify } from 'node:util';
import { BacklexHarness } from '../services/backlex/test/support/backlex.js';
import { numberArgument, textArgument } from './support/arguments.js';

const SECONDS = numberArgument('seconds', 10);
const OUT = textArgument('out') ?? nodePath.join(process.cwd(), 'backlex-data-api.cpuprofile');
const LEVEL = textArgument('log-levels') ?? 'silent';
const run = promisify(execFile);

const h = await BacklexHarness.boot({ workers: true, env: { LOG_LEVEL: LEVEL } });
const org = await h.org();
await h.service.booted.context
  .database()
  .pool.query(`UPDATE organization SET "planId" = 'max' WHERE id = $1`, [org.id]);
await h.app.listen({ port: 0, host: '127.0.0.1' });
const address = h.app.server.address();
const port = typeof address === 'object' && address ? address.port : 0;
const created = await h.app.inject({
  method: 'POST',
  url: `/api/org/${org.slug}/projects`,
  headers: { cookie: org.owner.cookie, 'x-forwarded-for': org.owner.ip },
  payload: { name: 'profiled', template: 'todo' },
});
const project = created.json().project as { id: string; slug: string; adminToken: string };
for (;;) {
  const got = await h.app.inject({
    method: 'GET',
    url: `/api/org/${org.slug}/projects/${project.slug}`,
    headers: { cookie: org.owner.cookie, 'x-forwarded-for': org.owner.ip },
  });
  if (got.json().project?.status === 'active') break;
  await new Promise((resolve) => setTimeout(resolve, 20));
}
const headers = { authorization: `Bearer ${project.adminToken}`, 'content-type': 'application/json' };
await h.app.inject({
  method: 'POST',
  url: `/api/db/${project.id}/query`,
  headers,
  payload: {
    sql: "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n LIMIT 10000) INSERT INTO todos (title) SELECT 'todo ' || i FROM n",
  },
});
const body = JSON.stringify({ sql: 'SELECT id, title, done FROM todos WHERE id = ?', params: [4242] });
const args = [nodePath.join(process.cwd(), 'node_modules', 'autocannon', 'autocannon.js'), '-j'];
args.push('-c', '16', '-d', String(SECONDS), '-m', 'POST', '-b', body);
for (const [name, value] of Object.entries(headers)) args.push('-H', `${name}=${value}`);
args.push(`http://127.0.0.1:${port}/api/db/${project.id}/query`);

// Which PostgreSQL statements run while the data API is under load (with --count-queries).
const counted = new Map<string, number>();
if (process.argv.includes('--count-queries')) {
  const pg = (await import('pg')).default;
  const original = pg.Client.prototype.query as (...args: unknown[]) => unknown;
  pg.Client.prototype.query = function (this: unknown, ...args: unknown[]) {
    const first = args[0] as string | { text?: string };
    const text = (typeof first === 'string' ? first : (first?.text ?? '?'))
      .replace(/\s+/g, ' ')
      .slice(0, 120);
    counted.set(text, (counted.get(text) ?? 0) + 1);
    return original.apply(this, args);
  } as typeof pg.Client.prototype.query;
}
const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.setSamplingInterval', { interval: 200 });
await session.post('Profiler.start');
const { stdout } = await run(process.execPath, args, { maxBuffer: 16 * 1024 * 1024 });
const { profile } = await session.post('Profiler.stop');
fs.writeFileSync(OUT, JSON.stringify(profile));
const result = JSON.parse(stdout) as { requests: { average: number }; non2xx: number };
console.log(`${result.requests.average} requests/s (${result.non2xx} non-2xx); profile: ${OUT}`);
for (const [text, count] of [...counted].sort((x, y) => y[1] - x[1]).slice(0, 15))
  console.log(`${String(count).padStart(7)}  ${text}`);
await h.close();
// The test database's admin connection (kernel testkit) would keep the process alive.
process.exit(0);
