import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { eventually } from '@trustplane/kernel/testkit';
import { backlexProjects } from '../src/index.js';
import { BacklexHarness, type TestOrg, type TestUser } from './support/backlex.js';
import { billingOf, getBilling, setClock, subscribe } from './support/billing.js';

// Provisioning, upgrades, pause/resume, purge and the data API on real files in host processes.
let h: BacklexHarness;
let org: TestOrg;
let developer: TestUser;

type Project = { id: string; slug: string; adminToken: string; status: string; [key: string]: unknown };

before(async () => {
  h = await BacklexHarness.boot({ workers: true });
  org = await h.org();
  developer = await h.member(org, 'developer');
  // The plan is written by billing's webhooks (h17-billing); here the org is simply put on `max`
  // so the free plan's three projects do not bound this file.
  await sql(`UPDATE organization SET "planId" = 'max' WHERE id = $1`, [org.id]);
});
after(async () => {
  backlexProjects(h.service.booted.context).provisioning.setFaults(undefined);
  await h?.close();
});

function area() {
  return backlexProjects(h.service.booted.context);
}

async function sql<T>(query: string, params: unknown[] = []): Promise<T[]> {
  return (await h.service.booted.context.database().pool.query(query, params)).rows as T[];
}

async function create(payload: Record<string, unknown>): Promise<Project> {
  const response = await h.inject({
    method: 'POST',
    url: `/api/org/${org.slug}/projects`,
    as: developer,
    payload,
  });
  assert.equal(response.statusCode, 201, response.body);
  return response.json().project;
}

async function get(slug: string) {
  const response = await h.inject({
    method: 'GET',
    url: `/api/org/${org.slug}/projects/${slug}`,
    as: developer,
  });
  assert.equal(response.statusCode, 200, response.body);
  return response.json() as {
    project: Project & { templateVersion: string | null; provisionError: string | null };
  };
}

async function settled(slug: string, status = 'active') {
  // Generous: every provisioning attempt also starts the file's history (a base, fsyncs), and three
  // failing tries on a loaded disk take more than 30 s.
  return eventually(
    async () => {
      const { project } = await get(slug);
      return project.status === status ? project : undefined;
    },
    `project ${slug} ${status}`,
    120_000,
  );
}

async function activeProject(payload: Record<string, unknown>): Promise<Project> {
  const created = await create(payload);
  const project = await settled(created.slug);
  return { ...project, adminToken: created.adminToken };
}

function post(slug: string, action: string, as: TestUser = developer) {
  return h.inject({ method: 'POST', url: `/api/org/${org.slug}/projects/${slug}/${action}`, as });
}

function query(project: { id: string }, token: string | undefined, body: unknown, branch?: string) {
  return h.inject({
    method: 'POST',
    url: `/api/db/${project.id}${branch ? `/branches/${branch}` : ''}/query`,
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    payload: body as Record<string, unknown>,
    // An extension (not in seed 003): its answers follow the route's own schema in /openapi.json.
    skipContract: true,
  });
}

async function rows(project: Project, sqlText: string, branch?: string): Promise<unknown[][]> {
  const response = await query(project, project.adminToken, { sql: sqlText }, branch);
  assert.equal(response.statusCode, 200, response.body);
  return response.json().results[0].rows;
}

describe('provisioning', () => {
  afterEach(() => area().provisioning.setFaults(undefined));
  test('create → active: the template applied, a deploy, the provisioned event, size known', async () => {
    const created = await create({ name: 'Todo journey', template: 'todo' });
    assert.equal(created.status, 'provisioning');
    const project = await settled(created.slug);
    assert.equal(project.templateVersion, '2');
    assert.ok((project.sizeBytes as number) > 0);
    const inserted = await query(project, created.adminToken, {
      sql: 'INSERT INTO todos (title, due_at) VALUES (?, ?)',
      params: ['write tests', '2026-12-31'],
    });
    assert.equal(inserted.statusCode, 200, inserted.body);
    assert.deepEqual(inserted.json().results[0].rowsAffected, 1);
    assert.equal(inserted.json().results[0].lastInsertRowid, 1);
    const read = await query(project, created.adminToken, {
      sql: 'SELECT id, title, done FROM todos WHERE id = :id',
      params: { id: 1 },
    });
    assert.deepEqual(read.json(), {
      results: [
        {
          columns: ['id', 'title', 'done'],
          rows: [[1, 'write tests', 0]],
          rowsAffected: 0,
          // A reading statement reports lastInsertRowid 0 (the hosts' rule).
          lastInsertRowid: 0,
        },
      ],
    });
    const deploys = await h.inject({
      method: 'GET',
      url: `/api/org/${org.slug}/projects/${created.slug}/deploys`,
      as: developer,
    });
    assert.equal(deploys.statusCode, 200, deploys.body);
    assert.deepEqual(
      deploys
        .json()
        .deploys.map((deploy: Record<string, unknown>) => [deploy.kind, deploy.status, deploy.toVersion]),
      [['provision', 'succeeded', '2']],
    );
    const events = await sql(
      "SELECT 1 FROM events WHERE type = 'project.provisioned' AND data->>'projectId' = $1",
      [created.id],
    );
    assert.equal(events.length, 1);
  });

  test('a run that dies between steps is retried from a fresh file: the template applied once', async () => {
    for (const step of ['file-created', 'template-applied'] as const) {
      let crashes = 0;
      area().provisioning.setFaults((at) => {
        if (at === step && crashes === 0) {
          crashes += 1;
          throw new Error(`simulated crash after ${step}`);
        }
      });
      const created = await create({ name: `Crash ${step}`, template: 'todo' });
      const project = await settled(created.slug);
      area().provisioning.setFaults(undefined);
      assert.equal(crashes, 1);
      assert.equal(project.templateVersion, '2');
      // A second application of version 1 would have failed ("table todos already exists").
      assert.deepEqual(
        await rows(
          { ...project, adminToken: created.adminToken },
          "SELECT count(*) FROM sqlite_master WHERE name = 'todos'",
        ),
        [[1]],
      );
      const deploys = await sql<{ status: string }>(
        'SELECT status FROM project_deploys WHERE project_id = $1',
        [created.id],
      );
      assert.deepEqual(deploys, [{ status: 'succeeded' }]);
    }
  });

  test('failing every try → failed + provisionError; provision-retry from failed only → active', async () => {
    area().provisioning.setFaults(() => {
      throw new Error('disk on fire');
    });
    const created = await create({ name: 'Unlucky' });
    const failed = await settled(created.slug, 'failed');
    assert.equal(failed.provisionError, 'disk on fire');
    const data = await query(created, created.adminToken, { sql: 'SELECT 1' });
    assert.equal(data.statusCode, 409);
    assert.equal(data.json().error.code, 'PROJECT_NOT_READY');
    area().provisioning.setFaults(undefined);
    const retried = await post(created.slug, 'provision-retry');
    assert.equal(retried.statusCode, 200, retried.body);
    assert.equal(retried.json().project.status, 'provisioning');
    assert.equal(retried.json().project.provisionError, null);
    await settled(created.slug);
    const again = await post(created.slug, 'provision-retry');
    assert.equal(again.statusCode, 409);
    const deploys = await sql<{ status: string }>(
      'SELECT status FROM project_deploys WHERE project_id = $1 ORDER BY created_at',
      [created.id],
    );
    assert.deepEqual(
      deploys.map((deploy) => deploy.status),
      ['failed', 'succeeded'],
    );
  });

  test('while provisioning the data API is 409 PROJECT_NOT_READY', async () => {
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    area().provisioning.setFaults(async (at) => {
      if (at === 'file-created') await held;
    });
    const created = await create({ name: 'Held' });
    const response = await query(created, created.adminToken, { sql: 'SELECT 1' });
    assert.equal(response.statusCode, 409, response.body);
    assert.deepEqual(response.json().error.details, { status: 'provisioning' });
    release();
    await settled(created.slug);
    area().provisioning.setFaults(undefined);
  });
});

describe('upgrades', () => {
  test('todo@1 → latest: upgraded; again: skipped; lower: skipped; deploys record it', async () => {
    const project = await activeProject({ name: 'Upgrade me', template: 'todo@1' });
    assert.equal(project.templateVersion, '1');
    const upgraded = await post(project.slug, 'upgrade');
    assert.equal(upgraded.statusCode, 200, upgraded.body);
    assert.deepEqual(upgraded.json(), { status: 'upgraded', from: '1', to: '2' });
    assert.equal((await get(project.slug)).project.templateVersion, '2');
    assert.deepEqual(
      await rows(project, "SELECT count(*) FROM pragma_table_info('todos') WHERE name = 'due_at'"),
      [[1]],
    );
    const same = await post(project.slug, 'upgrade?version=2');
    assert.equal(same.json().status, 'skipped');
    assert.match(same.json().reason, /already at version 2/);
    const lower = await post(project.slug, 'upgrade?version=1');
    assert.equal(lower.json().status, 'skipped');
    assert.match(lower.json().reason, /older/);
    const deploys = await h.inject({
      method: 'GET',
      url: `/api/org/${org.slug}/projects/${project.slug}/deploys`,
      as: developer,
    });
    assert.deepEqual(
      deploys
        .json()
        .deploys.map((deploy: Record<string, unknown>) => [
          deploy.kind,
          deploy.fromVersion,
          deploy.toVersion,
        ]),
      [
        ['upgrade', '1', '2'],
        ['provision', null, '1'],
      ],
    );
  });

  test('a failing migration → failed + error, the database untouched (one transaction)', async () => {
    const project = await activeProject({ name: 'Dupes', template: 'todo@1' });
    const seeded = await query(project, project.adminToken, {
      batch: [
        { sql: 'INSERT INTO todos (title) VALUES (?)', params: ['same'] },
        { sql: 'INSERT INTO todos (title) VALUES (?)', params: ['same'] },
      ],
    });
    assert.equal(seeded.statusCode, 200, seeded.body);
    const upgrade = await post(project.slug, 'upgrade');
    assert.equal(upgrade.statusCode, 200, upgrade.body);
    assert.equal(upgrade.json().status, 'failed');
    assert.match(upgrade.json().error, /UNIQUE/i);
    // ALTER TABLE ran before the failing index: rolled back with it.
    assert.deepEqual(
      await rows(project, "SELECT count(*) FROM pragma_table_info('todos') WHERE name = 'due_at'"),
      [[0]],
    );
    assert.equal((await get(project.slug)).project.templateVersion, '1');
    const [deploy] = await sql<{ status: string; error: string }>(
      "SELECT status, error FROM project_deploys WHERE project_id = $1 AND kind = 'upgrade'",
      [project.id],
    );
    assert.equal(deploy?.status, 'failed');
  });
});

describe('pause, resume, tokens, delete and purge', () => {
  test('paused: data API 503; resume only from paused; upgrade needs active', async () => {
    const project = await activeProject({ name: 'Napper' });
    // Answered once first, so the paused answer below is not a first read.
    assert.equal((await query(project, project.adminToken, { sql: 'SELECT 1' })).statusCode, 200);
    const paused = await post(project.slug, 'pause');
    assert.equal(paused.statusCode, 200, paused.body);
    assert.equal(paused.json().project.status, 'paused');
    const data = await query(project, project.adminToken, { sql: 'SELECT 1' });
    assert.equal(data.statusCode, 503);
    assert.equal(data.json().error.code, 'PROJECT_PAUSED');
    assert.equal((await post(project.slug, 'pause')).statusCode, 409);
    assert.equal((await post(project.slug, 'upgrade')).statusCode, 409);
    const resumed = await post(project.slug, 'resume');
    assert.equal(resumed.json().project.status, 'active');
    assert.equal((await post(project.slug, 'resume')).statusCode, 409);
    assert.equal((await query(project, project.adminToken, { sql: 'SELECT 1' })).statusCode, 200);
  });

  test('reprovision-admin: the old token is refused at once, the new one works; tokens open only their project', async () => {
    const project = await activeProject({ name: 'Rotating' });
    const neighbour = await activeProject({ name: 'Neighbour' });
    assert.equal((await query(neighbour, project.adminToken, { sql: 'SELECT 1' })).statusCode, 401);
    assert.equal((await query(project, undefined, { sql: 'SELECT 1' })).statusCode, 401);
    const rotated = await post(project.slug, 'reprovision-admin', org.owner);
    assert.equal(rotated.statusCode, 200, rotated.body);
    const old = await query(project, project.adminToken, { sql: 'SELECT 1' });
    assert.equal(old.statusCode, 401);
    assert.equal(old.json().error.code, 'UNAUTHORIZED');
    const fresh = await query(project, rotated.json().project.adminToken, { sql: 'SELECT 1' });
    assert.equal(fresh.statusCode, 200);
  });

  test('deleted: the data API is 404; files purged after 7 days (the purge takes the clock)', async () => {
    const project = await activeProject({ name: 'Purge me' });
    const removed = await h.inject({
      method: 'DELETE',
      url: `/api/org/${org.slug}/projects/${project.slug}`,
      as: org.owner,
    });
    assert.equal(removed.statusCode, 200);
    assert.equal((await query(project, project.adminToken, { sql: 'SELECT 1' })).statusCode, 404);
    assert.equal(await area().databases.exists(project.id), true);
    const day = 24 * 60 * 60 * 1000;
    assert.deepEqual(await area().provisioning.purgeDeleted(new Date(Date.now() + 6 * day)), []);
    assert.equal(await area().databases.exists(project.id), true);
    const purged = await area().provisioning.purgeDeleted(new Date(Date.now() + 7 * day + 60_000));
    assert.ok(purged.includes(project.id));
    assert.equal(await area().databases.exists(project.id), false);
    const [row] = await sql<{ purged_at: Date | null }>('SELECT purged_at FROM projects WHERE id = $1', [
      project.id,
    ]);
    assert.ok(row?.purged_at);
  });
});

describe('data API', () => {
  let project: Project;
  before(async () => {
    project = await activeProject({ name: 'Data', template: 'todo' });
  });

  test('a batch is one transaction: a failing statement undoes the ones before it', async () => {
    const response = await query(project, project.adminToken, {
      batch: [
        { sql: 'INSERT INTO todos (title) VALUES (?)', params: ['kept?'] },
        { sql: 'INSERT INTO nowhere (x) VALUES (1)' },
      ],
    });
    assert.equal(response.statusCode, 400, response.body);
    assert.equal(response.json().error.code, 'SQL_ERROR');
    assert.deepEqual(await rows(project, "SELECT count(*) FROM todos WHERE title = 'kept?'"), [[0]]);
  });

  test('forbidden statements, several statements, bad bodies → 400/422, nothing runs', async () => {
    for (const statement of [
      "ATTACH DATABASE '/etc/passwd' AS x",
      'DETACH DATABASE main',
      'VACUUM',
      'PRAGMA journal_mode = DELETE',
    ]) {
      const response = await query(project, project.adminToken, { sql: statement });
      assert.equal(response.statusCode, 400, `${statement}: ${response.body}`);
      assert.equal(response.json().error.code, 'STATEMENT_FORBIDDEN', statement);
    }
    const two = await query(project, project.adminToken, {
      sql: "INSERT INTO todos (title) VALUES ('a'); DROP TABLE todos",
    });
    assert.equal(two.statusCode, 400);
    assert.deepEqual(await rows(project, "SELECT count(*) FROM sqlite_master WHERE name = 'todos'"), [[1]]);
    for (const body of [
      {},
      { sql: '' },
      { sql: 'SELECT 1', batch: [] },
      { batch: [] },
      { sql: 'SELECT ?', params: [{ a: 1 }] },
    ]) {
      const response = await query(project, project.adminToken, body);
      assert.equal(response.statusCode, 422, JSON.stringify(body));
    }
    const readOnlyPragma = await query(project, project.adminToken, { sql: 'PRAGMA table_info(todos)' });
    assert.equal(readOnlyPragma.statusCode, 200, readOnlyPragma.body);
  });

  test('over 10,000 rows → 400 RESULT_TOO_LARGE', async () => {
    const response = await query(project, project.adminToken, {
      sql: 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 10001) SELECT x FROM c',
    });
    assert.equal(response.statusCode, 400, response.body.slice(0, 300));
    assert.equal(response.json().error.code, 'RESULT_TOO_LARGE');
  });

  test('a runaway statement is stopped (400 STATEMENT_TIMEOUT) while the API keeps answering', async () => {
    const runaway = query(project, project.adminToken, {
      sql: 'WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r) SELECT count(*) FROM r',
    });
    const listed = await h.inject({ method: 'GET', url: `/api/org/${org.slug}/projects`, as: developer });
    assert.equal(listed.statusCode, 200);
    const stopped = await runaway;
    assert.equal(stopped.statusCode, 400, stopped.body);
    assert.equal(stopped.json().error.code, 'STATEMENT_TIMEOUT');
    // Its host was restarted: the project answers again.
    assert.deepEqual(await rows(project, 'SELECT 1'), [[1]]);
    const [group] = await sql<{ kind: string }>(
      "SELECT kind FROM project_errors WHERE project_id = $1 AND kind = 'STATEMENT_TIMEOUT'",
      [project.id],
    );
    assert.equal(group?.kind, 'STATEMENT_TIMEOUT');
  });

  test('failures are grouped by kind + SQL without its values; parameters are never stored', async () => {
    for (const secret of ['s3cr3t-one', 's3cr3t-two']) {
      const response = await query(project, project.adminToken, {
        sql: `SELECT * FROM missing_table WHERE note = '${secret}' AND v = ?`,
        params: ['param-value-never-stored'],
      });
      assert.equal(response.statusCode, 400);
    }
    const listed = await h.inject({
      method: 'GET',
      url: `/api/org/${org.slug}/projects/${project.slug}/errors`,
      as: developer,
    });
    assert.equal(listed.statusCode, 200, listed.body);
    const group = listed
      .json()
      .errors.find((entry: { sql: string }) => entry.sql.includes('missing_table')) as Record<
      string,
      unknown
    >;
    assert.ok(group, listed.body);
    assert.equal(group.count, 2);
    assert.equal(group.kind, 'SQL_ERROR');
    assert.equal(group.sql, 'SELECT * FROM missing_table WHERE note = ? AND v = ?');
    assert.equal(listed.body.includes('s3cr3t'), false);
    assert.equal(listed.body.includes('param-value-never-stored'), false);
  });
});

describe('branches', () => {
  let project: Project;
  before(async () => {
    project = await activeProject({ name: 'Branchy', template: 'todo' });
    await rows(project, "INSERT INTO todos (title) VALUES ('from parent') RETURNING id");
  });

  function branch(payload: Record<string, unknown>, as: TestUser = developer) {
    return h.inject({
      method: 'POST',
      url: `/api/org/${org.slug}/projects/${project.slug}/branches`,
      as,
      payload,
    });
  }

  test('a branch is a copy with its own data API; writes never reach the parent (nor back)', async () => {
    const created = await branch({ name: 'pr-7', prNumber: 7 });
    assert.equal(created.statusCode, 201, created.body);
    const made = created.json().branch;
    assert.equal(made.name, 'pr-7');
    assert.equal(made.prNumber, 7);
    assert.match(made.dataUrl, new RegExp(`/api/db/${project.id}/branches/pr-7$`));
    assert.deepEqual(await rows(project, 'SELECT title FROM todos', 'pr-7'), [['from parent']]);
    await rows(project, "INSERT INTO todos (title) VALUES ('branch only') RETURNING id", 'pr-7');
    await rows(project, "INSERT INTO todos (title) VALUES ('parent only') RETURNING id");
    assert.deepEqual(await rows(project, 'SELECT title FROM todos ORDER BY id'), [
      ['from parent'],
      ['parent only'],
    ]);
    assert.deepEqual(await rows(project, 'SELECT title FROM todos ORDER BY id', 'pr-7'), [
      ['from parent'],
      ['branch only'],
    ]);
    const listed = await h.inject({
      method: 'GET',
      url: `/api/org/${org.slug}/projects/${project.slug}/branches`,
      as: developer,
    });
    assert.deepEqual(
      listed.json().branches.map((entry: { name: string }) => entry.name),
      ['pr-7'],
    );
    const other = await activeProject({ name: 'Other for branch' });
    assert.equal((await query(project, other.adminToken, { sql: 'SELECT 1' }, 'pr-7')).statusCode, 401);
  });

  test('names are DNS labels (422), unique (409), prNumber unique among live branches (409)', async () => {
    for (const name of ['Upper', '-lead', 'trail-', 'under_score', 'a'.repeat(64), 'dot.ted']) {
      const response = await branch({ name });
      assert.equal(response.statusCode, 422, name);
    }
    const zero = await branch({ name: 'zero', prNumber: 0 });
    assert.equal(zero.statusCode, 422);
    const taken = await branch({ name: 'pr-7' });
    assert.equal(taken.statusCode, 409);
    assert.equal(taken.json().error.code, 'BRANCH_NAME_TAKEN');
    const pr = await branch({ name: 'another', prNumber: 7 });
    assert.equal(pr.statusCode, 409);
    assert.equal(pr.json().error.code, 'PR_NUMBER_TAKEN');
  });

  test('deleting a branch (admin+; a developer is 403) removes its file and frees its name and prNumber; unknown id → 404', async () => {
    const created = await branch({ name: 'short-lived', prNumber: 99 });
    assert.equal(created.statusCode, 201, created.body);
    const id = created.json().branch.id as string;
    const byDeveloper = await h.inject({
      method: 'DELETE',
      url: `/api/org/${org.slug}/projects/${project.slug}/branches/${id}`,
      as: developer,
    });
    assert.equal(byDeveloper.statusCode, 403, byDeveloper.body);
    const removed = await h.inject({
      method: 'DELETE',
      url: `/api/org/${org.slug}/projects/${project.slug}/branches/${id}`,
      as: org.owner,
    });
    assert.equal(removed.statusCode, 200, removed.body);
    assert.equal(await area().databases.exists(id), false);
    assert.equal(
      (await query(project, project.adminToken, { sql: 'SELECT 1' }, 'short-lived')).statusCode,
      404,
    );
    const again = await h.inject({
      method: 'DELETE',
      url: `/api/org/${org.slug}/projects/${project.slug}/branches/${id}`,
      as: org.owner,
    });
    assert.equal(again.statusCode, 404);
    const reused = await branch({ name: 'short-lived', prNumber: 99 });
    assert.equal(reused.statusCode, 201, reused.body);
  });

  test("the plan's branches per project (free: 1) → 403 PLAN_LIMIT", async () => {
    const free = await h.org();
    const created = await h.inject({
      method: 'POST',
      url: `/api/org/${free.slug}/projects`,
      as: free.owner,
      payload: { name: 'Free branches' },
    });
    const slug = created.json().project.slug as string;
    await eventually(async () => {
      const got = await h.inject({
        method: 'GET',
        url: `/api/org/${free.slug}/projects/${slug}`,
        as: free.owner,
      });
      return got.json().project.status === 'active';
    }, 'free project active');
    const first = await h.inject({
      method: 'POST',
      url: `/api/org/${free.slug}/projects/${slug}/branches`,
      as: free.owner,
      payload: { name: 'one' },
    });
    assert.equal(first.statusCode, 201, first.body);
    const second = await h.inject({
      method: 'POST',
      url: `/api/org/${free.slug}/projects/${slug}/branches`,
      as: free.owner,
      payload: { name: 'two' },
    });
    assert.equal(second.statusCode, 403);
    assert.deepEqual(second.json().error.details, { resource: 'branches', limit: 1, planId: 'free' });
  });
});

describe('a plan downgrade pauses the projects over the new plan', () => {
  test('pro with 4 active projects ends → free: the oldest 3 keep running, the 4th is paused (audited), its data API answers 503', async () => {
    const downgraded = await h.org();
    const owner = downgraded.owner;
    try {
      await subscribe(h, downgraded, 'pro');
      assert.equal((await getBilling(h, downgraded)).plan, 'pro');
      const slugs: string[] = [];
      const tokens: Record<string, { id: string; token: string }> = {};
      for (const name of ['First', 'Second', 'Third', 'Fourth']) {
        const created = await h.inject({
          method: 'POST',
          url: `/api/org/${downgraded.slug}/projects`,
          as: owner,
          payload: { name },
        });
        assert.equal(created.statusCode, 201, created.body);
        const project = created.json().project;
        slugs.push(project.slug);
        tokens[project.slug] = { id: project.id, token: project.adminToken };
      }
      const statusOf = async (slug: string) =>
        (
          await h.inject({ method: 'GET', url: `/api/org/${downgraded.slug}/projects/${slug}`, as: owner })
        ).json().project.status as string;
      for (const slug of slugs)
        await eventually(async () => (await statusOf(slug)) === 'active', `${slug} active`);

      // The fourth project's data API has answered (its state is held in memory): the pause, made
      // inside billing's transaction, must still be seen by the next request.
      const warm = tokens[slugs[3] as string] as { id: string; token: string };
      assert.equal((await query({ id: warm.id }, warm.token, { sql: 'SELECT 1' })).statusCode, 200);
      const cancel = await h.inject({
        method: 'POST',
        url: `/api/org/${downgraded.slug}/billing/subscription/cancel`,
        as: owner,
      });
      assert.equal(cancel.statusCode, 200, cancel.body);
      const { subscription } = await getBilling(h, downgraded);
      setClock(h, new Date(new Date(subscription.currentPeriodEnd).getTime() + 60_000));
      await billingOf(h).billing.runRenewals();
      assert.equal((await getBilling(h, downgraded)).plan, 'free');

      assert.deepEqual(await Promise.all(slugs.map(statusOf)), ['active', 'active', 'active', 'paused']);
      const fourth = tokens[slugs[3] as string] as { id: string; token: string };
      const refused = await query({ id: fourth.id }, fourth.token, { sql: 'SELECT 1' });
      assert.equal(refused.statusCode, 503, refused.body);
      const audit = await h.inject({
        method: 'GET',
        url: `/api/org/${downgraded.slug}/audit?action=project.paused`,
        as: owner,
      });
      assert.equal(audit.statusCode, 200, audit.body);
      const events = audit.json().events as { action: string; actor: unknown }[];
      assert.equal(events.length, 1, audit.body);
    } finally {
      billingOf(h).clock.use({ now: () => new Date() });
    }
  });
});
