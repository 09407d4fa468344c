import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { databasePaths } from '@trustplane/database-host';
import Database from 'libsql';
import { backlexExportRetention, backlexUsage } from '../src/index.js';
import { databasesDirectory } from '../src/projects-composition.js';
import { BacklexHarness, type TestOrg, type TestUser } from './support/backlex.js';

// POST /org/{slug}/export: a .sql dump per project with a database, stored as objects, downloaded
// through the presigned URL and loaded into an empty SQLite database: the same content.
let h: BacklexHarness;
let org: TestOrg;
let admin: TestUser;
let developer: TestUser;
let scratch: string;

type Project = { id: string; slug: string; adminToken: string };

before(async () => {
  h = await BacklexHarness.boot({ workers: true });
  org = await h.org();
  await sql(`UPDATE organization SET "planId" = 'max' WHERE id = $1`, [org.id]);
  admin = await h.member(org, 'admin');
  developer = await h.member(org, 'developer');
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'backlex-export-test-'));
});
after(async () => {
  await h?.close();
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
});

async function sql<T>(query: string, params: unknown[] = []): Promise<T[]> {
  return (await h.service.booted.context.database().pool.query(query, params)).rows as T[];
}

/**
 * Creates a project through the API (in `org` as `developer` unless told) and waits for `active`;
 * the first provisioning spawns the database hosts: minutes on a loaded machine.
 */
function activeProject(
  name: string,
  template: string,
  { into = org, as = developer, waitMs = 300_000 }: { into?: TestOrg; as?: TestUser; waitMs?: number } = {},
): Promise<Project> {
  return h.activeProject(into, { name, template, as, waitMs });
}

async function run(project: Project, statements: string[]) {
  const response = await h.inject({
    method: 'POST',
    url: `/api/db/${project.id}/query`,
    headers: { authorization: `Bearer ${project.adminToken}` },
    payload: { batch: statements.map((statement) => ({ sql: statement })) },
    skipContract: true,
  });
  assert.equal(response.statusCode, 200, response.body);
}

function all(connection: InstanceType<typeof Database>, query: string): unknown[][] {
  return connection.prepare(query).raw(true).safeIntegers(true).all() as unknown[][];
}

/** Schema rows and every table's rows with rowids and SQLite types: what "identical content" means. */
function contentOf(file: string) {
  const connection = new Database(file);
  try {
    const schema = all(
      connection,
      "SELECT type, name, tbl_name, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite_autoindex%' ORDER BY type, name",
    );
    const data: Record<string, unknown[][]> = {};
    for (const [name, wr] of all(
      connection,
      "SELECT name, wr FROM pragma_table_list WHERE schema = 'main' AND type = 'table' AND name <> 'sqlite_schema' ORDER BY name",
    )) {
      const columns = all(
        connection,
        `SELECT name FROM pragma_table_xinfo('${String(name).replaceAll("'", "''")}')`,
      ).map(([column]) => `"${String(column).replaceAll('"', '""')}"`);
      const select = [
        ...(Number(wr) === 1 ? [] : ['_rowid_']),
        ...columns,
        ...columns.map((c) => `typeof(${c})`),
      ];
      data[String(name)] = all(
        connection,
        `SELECT ${select.join(', ')} FROM "${String(name).replaceAll('"', '""')}"`,
      );
    }
    // The template version the file's header records travels with the dump.
    const userVersion = all(connection, 'PRAGMA user_version')[0]?.[0];
    return { schema, data, userVersion };
  } finally {
    connection.close();
  }
}

function exportOrg(as: TestUser = admin) {
  return h.inject({ method: 'POST', url: `/api/org/${org.slug}/export`, as });
}

describe('export', () => {
  test('a dump per project with a database (paused included, deleted and branches not); each downloads through its presigned URL, matches its size and sha256, and loads into an empty SQLite with identical content', async () => {
    const blog = await activeProject('Export blog', 'blog');
    const todo = await activeProject('Export todo', 'todo');
    const paused = await activeProject('Export paused', 'blank');
    const deleted = await activeProject('Export deleted', 'blank');
    await run(todo, [
      "INSERT INTO todos (title, due_at) VALUES ('O''Brien''s \"list\"; -- not a comment', NULL)",
      "INSERT INTO todos (title, due_at) VALUES ('line\nbreak ü 😀', '2026-12-31')",
      'DELETE FROM todos WHERE id = 1',
      "INSERT INTO todos (title) VALUES ('after a gap')",
    ]);
    await run(paused, [
      'CREATE TABLE blobs (id INTEGER PRIMARY KEY AUTOINCREMENT, data BLOB, big INTEGER, real REAL, note)',
      "INSERT INTO blobs (data, big, real, note) VALUES (x'00ff10', 9223372036854775807, 0.1, NULL)",
      "INSERT INTO blobs (data, big, real, note) VALUES (x'', -9007199254740993, 1e300, 'x')",
      'CREATE INDEX blobs_big ON blobs (big)',
      'CREATE VIEW big_ones AS SELECT id FROM blobs WHERE big > 0',
      'CREATE TABLE log (at TEXT)',
      "CREATE TRIGGER blobs_log AFTER DELETE ON blobs BEGIN INSERT INTO log VALUES ('deleted'); END",
    ]);
    const branch = await h.inject({
      method: 'POST',
      url: `/api/org/${org.slug}/projects/${todo.slug}/branches`,
      as: developer,
      payload: { name: 'preview' },
    });
    assert.equal(branch.statusCode, 201, branch.body);
    for (const [project, action] of [
      [paused, 'pause'],
      [deleted, ''],
    ] as const) {
      const response = await h.inject({
        method: action ? 'POST' : 'DELETE',
        url: `/api/org/${org.slug}/projects/${project.slug}${action ? `/${action}` : ''}`,
        as: org.owner,
      });
      assert.equal(response.statusCode, 200, response.body);
    }

    const response = await exportOrg();
    assert.equal(response.statusCode, 200, response.body);
    const body = response.json();
    assert.ok(Date.parse(body.exportedAt) > 0);
    assert.deepEqual(
      body.projects.map((item: { slug: string }) => item.slug).sort(),
      [blog.slug, todo.slug, paused.slug].sort(),
    );
    for (const item of body.projects as {
      projectId: string;
      slug: string;
      filename: string;
      url: string;
      sizeBytes: number;
      sha256: string;
    }[]) {
      assert.match(item.filename, new RegExp(`^${org.slug}-${item.slug}-\\d{8}T\\d{6}Z\\.sql$`));
      const url = new URL(item.url);
      const download = await h.inject({
        method: 'GET',
        url: `${url.pathname}${url.search}`,
        skipContract: true,
      });
      assert.equal(download.statusCode, 200, download.body);
      assert.match(
        String(download.headers['content-disposition']),
        new RegExp(item.filename.replaceAll('.', '\\.')),
      );
      const bytes = download.rawPayload;
      assert.equal(bytes.length, item.sizeBytes);
      assert.equal(createHash('sha256').update(bytes).digest('hex'), item.sha256);

      const copy = path.join(scratch, `${item.slug}.sqlite`);
      const connection = new Database(copy);
      connection.exec(bytes.toString('utf8'));
      connection.close();
      const live = databasePaths(databasesDirectory(h.service.booted.context), item.projectId).database;
      assert.deepEqual(contentOf(copy), contentOf(live), `${item.slug}: identical content`);
    }
    const todoCopy = new Database(path.join(scratch, `${todo.slug}.sqlite`));
    const titles = all(todoCopy, 'SELECT id, title FROM todos ORDER BY id');
    todoCopy.close();
    assert.deepEqual(titles, [
      [2n, 'line\nbreak ü 😀'],
      [3n, 'after a gap'],
    ]);

    const rows = await sql<{ project_slug: string; size_bytes: string }>(
      'SELECT project_slug, size_bytes FROM project_exports WHERE org_id = $1',
      [org.id],
    );
    assert.equal(rows.length, 3);
    const audit = await sql<{ data: { projects: unknown[] } }>(
      "SELECT data FROM audit_event WHERE action = 'org.exported' AND organization_id = $1",
      [org.id],
    );
    assert.equal(audit.length, 1);
    assert.equal(audit[0]?.data.projects.length, 3);
    const events = await sql("SELECT 1 FROM events WHERE type = 'org.exported' AND org_id = $1", [org.id]);
    assert.equal(events.length, 1);

    // One export per 10 minutes per org: 429 with Retry-After; another org is not affected.
    const again = await exportOrg(org.owner);
    assert.equal(again.statusCode, 429, again.body);
    assert.equal(again.json().error.code, 'RATE_LIMITED');
    const retryAfter = Number(again.headers['retry-after']);
    assert.ok(retryAfter > 0 && retryAfter <= 600, String(retryAfter));
    const other = await h.org();
    const elsewhere = await h.inject({
      method: 'POST',
      url: `/api/org/${other.slug}/export`,
      as: other.owner,
    });
    assert.equal(elsewhere.statusCode, 200, elsewhere.body);
    assert.deepEqual(elsewhere.json().projects, [], 'an org without projects exports nothing');
  });

  test('developers may not export (403), outsiders get 404', async () => {
    const refused = await exportOrg(developer);
    assert.equal(refused.statusCode, 403, refused.body);
    const outsider = await h.user();
    const hidden = await exportOrg(outsider);
    assert.equal(hidden.statusCode, 404, hidden.body);
  });

  test('retention: a dump older than a day is pruned by the hourly job (object, row, r2 entry); a younger one stays', async () => {
    const context = h.service.booted.context;
    const other = await h.org();
    const project = await activeProject('Retained', 'todo', {
      into: other,
      as: other.owner,
      waitMs: 120_000,
    });
    const exported = await h.inject({
      method: 'POST',
      url: `/api/org/${other.slug}/export`,
      as: other.owner,
    });
    assert.equal(exported.statusCode, 200, exported.body);
    const [item] = exported.json().projects as { url: string; sizeBytes: number }[];
    assert.ok(item);
    const [row] = await sql<{ object_key: string }>(
      'SELECT object_key FROM project_exports WHERE project_id = $1',
      [project.id],
    );
    assert.ok(row);
    const ledger = backlexUsage(context).storedObjects;
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    assert.equal((await ledger.objectBytesByProject(tomorrow)).get(project.id), item.sizeBytes);

    // The job's clock is its input: an hour on, nothing of it is due.
    const { retention } = backlexExportRetention(context);
    await retention.prune(new Date(Date.now() + 60 * 60 * 1000));
    assert.ok(await context.objects.head(row.object_key), 'kept within the day');
    // A day and an hour on: pruned.
    const outcome = await retention.prune(new Date(Date.now() + 25 * 60 * 60 * 1000));
    assert.ok(outcome.prunedDumps >= 1, JSON.stringify(outcome));
    assert.equal(await context.objects.head(row.object_key), undefined);
    assert.deepEqual(await sql('SELECT 1 FROM project_exports WHERE project_id = $1', [project.id]), []);
    // r2: no longer stored from now on (today still counts it: it was stored today).
    assert.equal((await ledger.objectBytesByProject(tomorrow)).get(project.id), undefined);
    const url = new URL(item.url);
    const download = await h.inject({
      method: 'GET',
      url: `${url.pathname}${url.search}`,
      skipContract: true,
    });
    assert.equal(download.statusCode, 404, download.body);
    // A re-run finds nothing more of it.
    assert.deepEqual(await retention.prune(new Date(Date.now() + 25 * 60 * 60 * 1000)), {
      prunedDumps: 0,
      prunedBytes: 0,
    });
  });
});
