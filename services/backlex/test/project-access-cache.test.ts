import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { eventually } from '@trustplane/kernel/testkit';
import { backlexProjects } from '../src/index.js';
import { BacklexHarness, type TestOrg } from './support/backlex.js';

// The data API's access state (status, token hash, live branches) is held in each instance's
// memory and dropped on PostgreSQL's NOTIFY (migrations/0075 triggers, kernel NotifiedCache).
// Two instances of the service on one database, as two processes of one deployment: A takes
// every change; B must refuse (or serve) accordingly on the very next request. B's database
// directory is A's (a shared volume), so B serves the same files.
let a: BacklexHarness;
let b: BacklexHarness;
let org: TestOrg;

type Project = { id: string; slug: string; adminToken: string };

before(async () => {
  a = await BacklexHarness.boot({ workers: true });
  b = await BacklexHarness.boot({ database: a.service.booted.database });
  const shared = path.join(a.service.booted.dataDir, 'backlex', 'databases');
  fs.mkdirSync(shared, { recursive: true });
  fs.mkdirSync(path.join(b.service.booted.dataDir, 'backlex'), { recursive: true });
  fs.symlinkSync(shared, path.join(b.service.booted.dataDir, 'backlex', 'databases'));
  org = await a.org();
  await a.service.booted.context
    .database()
    .pool.query(`UPDATE organization SET "planId" = 'max' WHERE id = $1`, [org.id]);
});
after(async () => {
  await b?.close();
  await a?.close();
});

const accessOf = (h: BacklexHarness) => backlexProjects(h.service.booted.context).access;

function activeProject(name: string, owner: TestOrg = org): Promise<Project> {
  return a.activeProject(owner, { name, template: 'todo', waitMs: 30_000 });
}

function act(project: Project, action: string, method: 'POST' | 'DELETE' = 'POST', payload?: object) {
  return a.inject({
    method,
    url: `/api/org/${org.slug}/projects/${project.slug}${action}`,
    as: org.owner,
    ...(payload ? { payload: payload as Record<string, unknown> } : {}),
  });
}

function query(h: BacklexHarness, project: Project, token: string, branch?: string) {
  return h.inject({
    method: 'POST',
    url: `/api/db/${project.id}${branch ? `/branches/${branch}` : ''}/query`,
    headers: { authorization: `Bearer ${token}` },
    payload: { sql: 'SELECT count(*) FROM todos' },
    skipContract: true,
  });
}

/**
 * Both instances answer 200 and then hold the project's state in memory. The NOTIFY of the
 * activation's commit may reach an instance after its first request loaded the state (and drop
 * it: a spare miss, never a stale hit), so a request after it is what must be served from memory.
 */
async function bothServe(project: Project, token = project.adminToken, branch?: string) {
  for (const h of [a, b]) {
    await eventually(async () => {
      const response = await query(h, project, token, branch);
      assert.equal(response.statusCode, 200, response.body);
      return accessOf(h).cached(project.id);
    }, 'the access state held in memory');
  }
}

async function bothAnswer(project: Project, status: number, token = project.adminToken, branch?: string) {
  for (const h of [a, b]) {
    const response = await query(h, project, token, branch);
    assert.equal(response.statusCode, status, response.body);
  }
}

describe('access state across two instances on one database', () => {
  test('a warm cache answers from memory: a change PostgreSQL did not notify is not seen', async () => {
    const project = await activeProject('Warm');
    await bothServe(project);
    // With triggers off for one transaction (replication role), the row changes silently: both
    // instances still answer from memory. Its NOTIFY, sent by hand, then reaches both.
    const pool = a.service.booted.context.database().pool;
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SET LOCAL session_replication_role = replica');
      await client.query(`UPDATE projects SET status = 'paused' WHERE id = $1`, [project.id]);
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    await bothAnswer(project, 200);
    await pool.query(`SELECT pg_notify('backlex_project_access', $1)`, [project.id]);
    for (const h of [a, b]) {
      await eventually(
        async () => (await query(h, project, project.adminToken)).statusCode === 503,
        'the NOTIFY drops the state',
      );
    }
  });

  test('pause on A → 503 on B at once; resume on A → 200 on B at once', async () => {
    const project = await activeProject('Pausable');
    await bothServe(project);
    assert.equal((await act(project, '/pause')).statusCode, 200);
    await bothAnswer(project, 503);
    assert.equal((await act(project, '/resume')).statusCode, 200);
    await bothAnswer(project, 200);
  });

  test('reprovision-admin on A → the old token 401 on B at once, the new one 200', async () => {
    const project = await activeProject('Rotated');
    await bothServe(project);
    // A token of the same length that differs in one character, after the right one matched.
    const last = project.adminToken.at(-1) === 'A' ? 'B' : 'A';
    await bothAnswer(project, 401, `${project.adminToken.slice(0, -1)}${last}`);
    const rotated = await act(project, '/reprovision-admin');
    assert.equal(rotated.statusCode, 200, rotated.body);
    await bothAnswer(project, 401);
    await bothAnswer(project, 200, rotated.json().project.adminToken);
  });

  test('branch created on A → its data API 200 on B at once; deleted on A → 404 on B at once', async () => {
    const project = await activeProject('Branching');
    await bothServe(project);
    await bothAnswer(project, 404, project.adminToken, 'preview');
    const created = await act(project, '/branches', 'POST', { name: 'preview' });
    assert.equal(created.statusCode, 201, created.body);
    await bothAnswer(project, 200, project.adminToken, 'preview');
    const removed = await act(project, `/branches/${created.json().branch.id}`, 'DELETE');
    assert.equal(removed.statusCode, 200, removed.body);
    await bothAnswer(project, 404, project.adminToken, 'preview');
  });

  test('deleted on A → 404 on B at once', async () => {
    const project = await activeProject('Deleted');
    await bothServe(project);
    const removed = await act(project, '', 'DELETE');
    assert.equal(removed.statusCode, 200, removed.body);
    await bothAnswer(project, 404);
  });

  test('any writer: a status changed straight in PostgreSQL reaches both caches through the trigger', async () => {
    const project = await activeProject('Outside');
    await bothServe(project);
    await a.service.booted.context
      .database()
      .pool.query(`UPDATE projects SET status = 'paused' WHERE id = $1`, [project.id]);
    for (const h of [a, b]) {
      await eventually(
        async () => (await query(h, project, project.adminToken)).statusCode === 503,
        'paused everywhere',
      );
    }
    // A rolled-back change notifies nothing and changes nothing.
    const client = await a.service.booted.context.database().pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(`UPDATE projects SET status = 'active' WHERE id = $1`, [project.id]);
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
    await bothAnswer(project, 503);
  });

  test('an org deleted on A (its transaction soft-deletes the projects): 404 on A at once, then on B', async () => {
    const doomed = await a.org();
    const project = await activeProject('Goes with its org', doomed);
    await bothServe(project);
    const removed = await a.inject({ method: 'DELETE', url: `/api/org/${doomed.slug}`, as: doomed.owner });
    assert.equal(removed.statusCode, 200, removed.body);
    // A fenced the project inside the orgs' transaction: its next request reads PostgreSQL.
    assert.equal((await query(a, project, project.adminToken)).statusCode, 404);
    // B hears the commit's NOTIFY (no barrier: the orgs' code does not wait for one).
    await eventually(async () => (await query(b, project, project.adminToken)).statusCode === 404, 'B: 404');
  });
});
