// What the backlex projects benches share (bench/backlex-projects.ts, bench/backlex-data-api-profile.ts):
// a booted backlex with workers listening on a loopback port and an org on the `max` plan, projects
// created through the API and waited on until `active`, and a `todo` table filled with rows.
import { randomUUID } from 'node:crypto';
import type { BootOptions } from '@trustplane/kernel/testkit';
import { BacklexHarness, type TestOrg } from '../../services/backlex/test/support/backlex.js';

export interface BenchBacklex {
  h: BacklexHarness;
  org: TestOrg;
  /** `http://127.0.0.1:<port>` */
  url: string;
}

export interface ActiveProject {
  id: string;
  slug: string;
  adminToken: string;
  /** Milliseconds from the create request to `active`. */
  ms: number;
}

/** Boots backlex (workers on), makes an org with room for many projects and listens on a loopback port. */
export async function bootBenchBacklex(options: Pick<BootOptions, 'env' | 'logger'>): Promise<BenchBacklex> {
  const h = await BacklexHarness.boot({ workers: true, ...options });
  const org = await h.org();
  // Enough room for the run's projects: the plan is billing's to set; here it is set directly.
  await h.service.booted.context
    .database()
    .pool.query(`UPDATE organization SET "planId" = 'max' WHERE id = $1`, [org.id]);
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  const address = h.app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { h, org, url: `http://127.0.0.1:${port}` };
}

/**
 * Creates a project from `template` through the API and waits for `active`. The wait reads the
 * project's row every 5 ms through the service's own pool and confirms with one GET: polling the GET
 * itself (200 requests a second) spends the owner's 600-requests-a-minute allowance within a few
 * dozen creations, after which every GET is a 429 until the minute's window rolls over — the 43 s
 * "outlier" of an earlier run was that, not provisioning. A non-200 GET fails the run.
 */
export async function createActiveProject(
  { h, org }: BenchBacklex,
  template: string,
  name = `bench ${randomUUID().slice(0, 8)}`,
): Promise<ActiveProject> {
  const headers = { cookie: org.owner.cookie, 'x-forwarded-for': org.owner.ip };
  const started = performance.now();
  const created = await h.app.inject({
    method: 'POST',
    url: `/api/org/${org.slug}/projects`,
    headers,
    payload: { name, template },
  });
  if (created.statusCode !== 201) throw new Error(`create: ${created.statusCode} ${created.body}`);
  const project = created.json().project as Omit<ActiveProject, 'ms'>;
  const pool = h.service.booted.context.database().pool;
  for (;;) {
    const { rows } = await pool.query<{ status: string }>('SELECT status FROM projects WHERE id = $1', [
      project.id,
    ]);
    const status = rows[0]?.status;
    if (status === 'active') break;
    if (status === 'failed') throw new Error(`provisioning failed: ${project.id}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const ms = performance.now() - started;
  const got = await h.app.inject({
    method: 'GET',
    url: `/api/org/${org.slug}/projects/${project.slug}`,
    headers,
  });
  if (got.statusCode !== 200 || got.json().project?.status !== 'active')
    throw new Error(`GET after provisioning: ${got.statusCode} ${got.body}`);
  return { ...project, ms };
}

/** Inserts `rows` todos into a `todo` project through its data API. */
export async function seedTodos({ h }: BenchBacklex, project: ActiveProject, rows: number): Promise<void> {
  const seeded = await h.app.inject({
    method: 'POST',
    url: `/api/db/${project.id}/query`,
    headers: { authorization: `Bearer ${project.adminToken}` },
    payload: {
      sql: `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n LIMIT ${rows}) INSERT INTO todos (title) SELECT 'todo ' || i FROM n`,
    },
  });
  if (seeded.statusCode !== 200) throw new Error(`seed: ${seeded.statusCode} ${seeded.body}`);
}
