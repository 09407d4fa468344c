import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { BacklexHarness, type TestOrg, type TestUser } from './support/backlex.js';

// Lifecycle rules that need no database file: the provisioning workers are not started here, so
// every project stays `provisioning` (test/projects-provisioning.test.ts runs them).
let h: BacklexHarness;
let org: TestOrg;
let developer: TestUser;
let viewer: TestUser;
let admin: TestUser;
let other: TestOrg;

before(async () => {
  h = await BacklexHarness.boot();
  org = await h.org(undefined, { residency: 'eu' });
  developer = await h.member(org, 'developer');
  viewer = await h.member(org, 'viewer');
  admin = await h.member(org, 'admin');
  other = await h.org();
});
after(async () => h?.close());

function create(target: TestOrg, as: TestUser, payload: Record<string, unknown>) {
  return h.inject({ method: 'POST', url: `/api/org/${target.slug}/projects`, as, payload });
}

async function createdProject(target: TestOrg, as: TestUser, payload: Record<string, unknown>) {
  const response = await create(target, as, payload);
  assert.equal(response.statusCode, 201, response.body);
  return response.json().project as Record<string, unknown> & {
    slug: string;
    id: string;
    adminToken: string;
  };
}

async function removeProject(target: TestOrg, slug: string) {
  const response = await h.inject({
    method: 'DELETE',
    url: `/api/org/${target.slug}/projects/${slug}`,
    as: target.owner,
  });
  assert.equal(response.statusCode, 200, response.body);
}

async function sql<T>(query: string, params: unknown[] = []): Promise<T[]> {
  const result = await h.service.booted.context.database().pool.query(query, params);
  return result.rows as T[];
}

describe('creating a project', () => {
  test('201 provisioning with the fixed Project fields and the admin token once, stored as its hash', async () => {
    const project = await createdProject(org, developer, { name: 'Çağrı Shop' });
    assert.equal(project.status, 'provisioning');
    assert.equal(project.slug, 'cagri-shop');
    assert.equal(project.region, 'fra', "the org's default region");
    assert.equal(project.primaryRegion, 'fra');
    assert.equal(project.environment, 'production');
    assert.equal(project.dbType, 'd1');
    assert.equal(project.template, 'blank');
    assert.equal(project.templateVersion, null);
    assert.equal(project.provisionError, null);
    assert.equal(project.sizeBytes, 0);
    assert.match(project.dataUrl as string, new RegExp(`/api/db/${project.id}$`));
    assert.deepEqual(
      Object.keys(project).sort(),
      [
        'adminToken',
        'createdAt',
        'dataUrl',
        'dbType',
        'environment',
        'id',
        'name',
        'primaryRegion',
        'provisionError',
        'region',
        'sizeBytes',
        'slug',
        'status',
        'template',
        'templateVersion',
      ].sort(),
    );
    assert.match(project.adminToken, /^bxk_[A-Za-z0-9_-]{43}$/);
    const [row] = await sql<{ admin_token_hash: Buffer }>(
      'SELECT admin_token_hash FROM projects WHERE id = $1',
      [project.id],
    );
    assert.deepEqual(row?.admin_token_hash, createHash('sha256').update(project.adminToken).digest());

    const got = await h.inject({
      method: 'GET',
      url: `/api/org/${org.slug}/projects/${project.slug}`,
      as: viewer,
    });
    assert.equal(got.statusCode, 200, got.body);
    assert.equal(got.json().project.adminToken, undefined, 'the token is never shown again');
    assert.equal(got.json().latestTemplateVersion, '1');
    const listed = await h.inject({ method: 'GET', url: `/api/org/${org.slug}/projects`, as: viewer });
    assert.equal(listed.body.includes(project.adminToken), false);
    await removeProject(org, project.slug);
  });

  test('a region outside the residency is 422 naming region; a template name@version pins it', async () => {
    const outside = await create(org, developer, { name: 'Far away', region: 'sjc' });
    assert.equal(outside.statusCode, 422, outside.body);
    assert.equal(outside.json().error.code, 'VALIDATION');
    assert.equal(outside.json().error.details[0].path, 'region');

    const pinned = await createdProject(org, developer, {
      name: 'Todo app',
      region: 'ams',
      template: 'todo@1',
    });
    assert.equal(pinned.region, 'ams');
    assert.equal(pinned.template, 'todo');
    const got = await h.inject({
      method: 'GET',
      url: `/api/org/${org.slug}/projects/${pinned.slug}`,
      as: viewer,
    });
    assert.equal(got.json().latestTemplateVersion, '2');
    await removeProject(org, pinned.slug);
  });

  test('unknown template or version → 422; bad body → 422/400; nothing is created', async () => {
    const before = await sql<{ n: string }>('SELECT count(*) AS n FROM projects');
    for (const template of ['nope', 'todo@9', 'TODO', 'todo@0', 'todo@x']) {
      const response = await create(org, developer, { name: 'Bad template', template });
      assert.equal(response.statusCode, 422, `${template}: ${response.body}`);
      assert.equal(response.json().error.details[0].path, 'template');
    }
    for (const payload of [
      { name: 'x' },
      { name: 'ok name', dbType: 'postgres' },
      { name: 'ok', region: 'mars' },
      {},
    ]) {
      const response = await create(org, developer, payload);
      assert.equal(response.statusCode, 422, JSON.stringify(payload));
    }
    const malformed = await h.inject({
      method: 'POST',
      url: `/api/org/${org.slug}/projects`,
      as: developer,
      headers: { 'content-type': 'application/json' },
      payload: '{"name":',
    });
    assert.equal(malformed.statusCode, 400);
    assert.deepEqual(await sql('SELECT count(*) AS n FROM projects'), before);
  });

  test("the plan's project limit (free: 3) is 403 PLAN_LIMIT; deleted projects do not count", async () => {
    const target = await h.org();
    const made = [];
    for (let n = 0; n < 3; n += 1)
      made.push(await createdProject(target, target.owner, { name: `Project ${n}` }));
    const fourth = await create(target, target.owner, { name: 'One too many' });
    assert.equal(fourth.statusCode, 403, fourth.body);
    assert.equal(fourth.json().error.code, 'PLAN_LIMIT');
    assert.deepEqual(fourth.json().error.details, { resource: 'projects', limit: 3, planId: 'free' });
    await removeProject(target, (made[0] as { slug: string }).slug);
    await createdProject(target, target.owner, { name: 'Fits again' });
  });

  test('parallel creations cannot pass the limit together', async () => {
    const target = await h.org();
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, n) => create(target, target.owner, { name: `Race ${n}` })),
    );
    assert.equal(answers.filter((answer) => answer.statusCode === 201).length, 3);
    assert.equal(answers.filter((answer) => answer.statusCode === 403).length, 3);
  });

  test('same names get -2, -3 slugs; audited and published as project.created', async () => {
    const first = await createdProject(org, developer, { name: 'Twin' });
    const second = await createdProject(org, developer, { name: 'Twin' });
    assert.equal(first.slug, 'twin');
    assert.equal(second.slug, 'twin-2');
    const audit = await sql<{ action: string; actor_id: string }>(
      "SELECT action, actor_id FROM audit_event WHERE target_id = $1 AND action = 'project.created'",
      [second.id],
    );
    assert.equal(audit.length, 1);
    const events = await sql<{ data: { projectId: string; region: string } }>(
      "SELECT data FROM events WHERE type = 'project.created' AND data->>'projectId' = $1",
      [second.id],
    );
    assert.equal(events.length, 1);
    assert.equal(events[0]?.data.region, 'fra');
    await removeProject(org, first.slug);
    await removeProject(org, second.slug);
  });
});

describe('changing a project', () => {
  test('PATCH renames without changing the slug and sets the environment', async () => {
    const project = await createdProject(org, developer, { name: 'Rename me' });
    const patched = await h.inject({
      method: 'PATCH',
      url: `/api/org/${org.slug}/projects/${project.slug}`,
      as: developer,
      payload: { name: 'Renamed', environment: 'staging' },
    });
    assert.equal(patched.statusCode, 200, patched.body);
    assert.equal(patched.json().project.name, 'Renamed');
    assert.equal(patched.json().project.slug, 'rename-me');
    assert.equal(patched.json().project.environment, 'staging');
    const bad = await h.inject({
      method: 'PATCH',
      url: `/api/org/${org.slug}/projects/${project.slug}`,
      as: developer,
      payload: { environment: 'qa' },
    });
    assert.equal(bad.statusCode, 422);
    await removeProject(org, project.slug);
  });

  test('state rules: pause, resume, provision-retry and upgrade of a provisioning project are 409', async () => {
    const project = await createdProject(org, developer, { name: 'Still provisioning' });
    for (const [action, allowed] of [
      ['pause', ['active']],
      ['resume', ['paused']],
      ['provision-retry', ['failed']],
      ['upgrade', ['active']],
    ] as const) {
      const response = await h.inject({
        method: 'POST',
        url: `/api/org/${org.slug}/projects/${project.slug}/${action}`,
        as: developer,
      });
      assert.equal(response.statusCode, 409, `${action}: ${response.body}`);
      assert.equal(response.json().error.code, 'INVALID_PROJECT_STATE');
      assert.deepEqual(response.json().error.details, { status: 'provisioning', allowed });
    }
    const [row] = await sql<{ status: string }>('SELECT status FROM projects WHERE id = $1', [project.id]);
    assert.equal(row?.status, 'provisioning');
    await removeProject(org, project.slug);
  });

  test('upgrade: an unknown ?version is 422 naming version', async () => {
    const project = await createdProject(org, developer, { name: 'Version check', template: 'todo@1' });
    for (const version of ['7', 'abc', '0']) {
      const response = await h.inject({
        method: 'POST',
        url: `/api/org/${org.slug}/projects/${project.slug}/upgrade?version=${version}`,
        as: developer,
      });
      assert.equal(response.statusCode, 422, `${version}: ${response.body}`);
      assert.equal(response.json().error.details[0].path, 'version');
    }
    await removeProject(org, project.slug);
  });

  test('reprovision-admin (admins): a new token in project.adminToken, only its hash stored', async () => {
    const project = await createdProject(org, developer, { name: 'Rotate' });
    const denied = await h.inject({
      method: 'POST',
      url: `/api/org/${org.slug}/projects/${project.slug}/reprovision-admin`,
      as: developer,
    });
    assert.equal(denied.statusCode, 403);
    const rotated = await h.inject({
      method: 'POST',
      url: `/api/org/${org.slug}/projects/${project.slug}/reprovision-admin`,
      as: admin,
    });
    assert.equal(rotated.statusCode, 200, rotated.body);
    const token = rotated.json().project.adminToken as string;
    assert.match(token, /^bxk_/);
    assert.notEqual(token, project.adminToken);
    const [row] = await sql<{ admin_token_hash: Buffer }>(
      'SELECT admin_token_hash FROM projects WHERE id = $1',
      [project.id],
    );
    assert.deepEqual(row?.admin_token_hash, createHash('sha256').update(token).digest());
    await removeProject(org, project.slug);
  });

  test('DELETE (admins): 404 everywhere after, slug free at once, audited; the row stays for history', async () => {
    const project = await createdProject(org, developer, { name: 'Doomed' });
    const byDeveloper = await h.inject({
      method: 'DELETE',
      url: `/api/org/${org.slug}/projects/${project.slug}`,
      as: developer,
    });
    assert.equal(byDeveloper.statusCode, 403);
    const deleted = await h.inject({
      method: 'DELETE',
      url: `/api/org/${org.slug}/projects/${project.slug}`,
      as: admin,
    });
    assert.equal(deleted.statusCode, 200, deleted.body);
    assert.deepEqual(deleted.json(), { ok: true });
    for (const [method, suffix] of [
      ['GET', ''],
      ['PATCH', ''],
      ['DELETE', ''],
      ['POST', '/pause'],
      ['POST', '/resume'],
      ['POST', '/provision-retry'],
      ['POST', '/reprovision-admin'],
      ['POST', '/upgrade'],
      ['GET', '/deploys'],
      ['GET', '/branches'],
      ['GET', '/errors'],
    ] as const) {
      const response = await h.inject({
        method,
        url: `/api/org/${org.slug}/projects/${project.slug}${suffix}`,
        as: org.owner,
        ...(method === 'PATCH' ? { payload: { name: 'Back' } } : {}),
      });
      assert.equal(response.statusCode, 404, `${method} ${suffix}: ${response.body}`);
    }
    const listed = await h.inject({ method: 'GET', url: `/api/org/${org.slug}/projects`, as: org.owner });
    assert.equal(
      listed.json().projects.some((entry: { id: string }) => entry.id === project.id),
      false,
    );
    const again = await createdProject(org, developer, { name: 'Doomed' });
    assert.equal(again.slug, 'doomed', 'the slug is free again');
    const [row] = await sql<{ status: string; deleted_at: Date }>(
      'SELECT status, deleted_at FROM projects WHERE id = $1',
      [project.id],
    );
    assert.equal(row?.status, 'deleted');
    assert.ok(row?.deleted_at);
    await removeProject(org, again.slug);
  });
});

describe('security matrix', () => {
  let project: { slug: string; id: string };
  before(async () => {
    project = await createdProject(org, developer, { name: 'Guarded' });
  });

  test('no cookie → 401 on every project route', async () => {
    for (const [method, url] of [
      ['GET', `/api/org/${org.slug}/projects`],
      ['POST', `/api/org/${org.slug}/projects`],
      ['GET', `/api/org/${org.slug}/projects/${project.slug}`],
      ['POST', `/api/org/${org.slug}/projects/${project.slug}/pause`],
      ['GET', `/api/org/${org.slug}/projects/${project.slug}/branches`],
      ['GET', `/api/org/${org.slug}/projects/${project.slug}/deploys`],
    ] as const) {
      const response = await h.inject({
        method,
        url,
        ...(method === 'POST' ? { payload: { name: 'x y' } } : {}),
      });
      assert.equal(response.statusCode, 401, `${method} ${url}`);
      assert.equal(response.json().error.code, 'UNAUTHORIZED');
    }
  });

  test("another org's member → 404, never 403; another org's project slug → 404", async () => {
    const stranger = other.owner;
    for (const [method, url] of [
      ['GET', `/api/org/${org.slug}/projects`],
      ['GET', `/api/org/${org.slug}/projects/${project.slug}`],
      ['DELETE', `/api/org/${org.slug}/projects/${project.slug}`],
      ['POST', `/api/org/${org.slug}/projects/${project.slug}/reprovision-admin`],
    ] as const) {
      const response = await h.inject({ method, url, as: stranger });
      assert.equal(response.statusCode, 404, `${method} ${url}`);
    }
    const viaOwnOrg = await h.inject({
      method: 'GET',
      url: `/api/org/${other.slug}/projects/${project.slug}`,
      as: stranger,
    });
    assert.equal(viaOwnOrg.statusCode, 404);
  });

  test('viewers read but do not write (403); developers write; admins delete', async () => {
    const read = await h.inject({
      method: 'GET',
      url: `/api/org/${org.slug}/projects/${project.slug}`,
      as: viewer,
    });
    assert.equal(read.statusCode, 200);
    for (const [method, url, payload] of [
      ['POST', `/api/org/${org.slug}/projects`, { name: 'By viewer' }],
      ['PATCH', `/api/org/${org.slug}/projects/${project.slug}`, { name: 'By viewer' }],
      ['POST', `/api/org/${org.slug}/projects/${project.slug}/pause`, undefined],
      ['POST', `/api/org/${org.slug}/projects/${project.slug}/branches`, { name: 'b' }],
      ['DELETE', `/api/org/${org.slug}/projects/${project.slug}`, undefined],
    ] as const) {
      const response = await h.inject({ method, url, as: viewer, ...(payload ? { payload } : {}) });
      assert.equal(response.statusCode, 403, `${method} ${url}`);
      assert.equal(response.json().error.code, 'FORBIDDEN');
    }
  });

  test('API keys: read-only lists, deploy creates but cannot delete, full deletes', async () => {
    const key = async (scope: string) => {
      const response = await h.inject({
        method: 'POST',
        url: `/api/org/${org.slug}/api-keys`,
        as: org.owner,
        payload: { name: `k-${scope}`, scope },
      });
      assert.equal(response.statusCode, 201, response.body);
      return response.json().key.secret as string;
    };
    const withKey = (secret: string, method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) =>
      h.inject({
        method,
        url,
        headers: { authorization: `Bearer ${secret}` },
        ...(payload ? { payload } : {}),
      });
    const readOnly = await key('read-only');
    const deploy = await key('deploy');
    const full = await key('full');
    assert.equal((await withKey(readOnly, 'GET', `/api/org/${org.slug}/projects`)).statusCode, 200);
    assert.equal(
      (await withKey(readOnly, 'POST', `/api/org/${org.slug}/projects`, { name: 'By key' })).statusCode,
      403,
    );
    const made = await withKey(deploy, 'POST', `/api/org/${org.slug}/projects`, { name: 'By deploy key' });
    assert.equal(made.statusCode, 201, made.body);
    const slug = made.json().project.slug as string;
    assert.equal((await withKey(deploy, 'DELETE', `/api/org/${org.slug}/projects/${slug}`)).statusCode, 403);
    assert.equal((await withKey(full, 'DELETE', `/api/org/${org.slug}/projects/${slug}`)).statusCode, 200);
    assert.equal((await withKey(full, 'GET', `/api/org/${other.slug}/projects`)).statusCode, 404);
    const [audit] = await sql<{ actor_type: string }>(
      "SELECT actor_type FROM audit_event WHERE action = 'project.created' AND target_id = $1",
      [made.json().project.id],
    );
    assert.equal(audit?.actor_type, 'key');
  });
});

test('deleting the org soft-deletes its projects in the same transaction', async () => {
  const doomed = await h.org();
  const project = await createdProject(doomed, doomed.owner, { name: 'Goes with the org' });
  const removed = await h.inject({ method: 'DELETE', url: `/api/org/${doomed.slug}`, as: doomed.owner });
  assert.equal(removed.statusCode, 200, removed.body);
  const [row] = await sql<{ status: string; deleted_at: Date | null }>(
    'SELECT status, deleted_at FROM projects WHERE id = $1',
    [project.id],
  );
  assert.equal(row?.status, 'deleted');
  assert.ok(row?.deleted_at);
});
