import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { eventually } from '@trustplane/kernel/testkit';
import { backlexProjects } from '../src/index.js';
import { BacklexHarness, type TestOrg, type TestUser } from './support/backlex.js';

// Backups, backup restore and point-in-time restore on real files in host processes, with the
// history recorder every host loads (issue 17).
let h: BacklexHarness;
let org: TestOrg;
let developer: TestUser;
let admin: TestUser;
let viewer: TestUser;

type Project = { id: string; slug: string; adminToken: string; status: string; createdAt: string };
type Backup = {
  id: string;
  status: string;
  kind: string;
  sizeBytes: number | null;
  sha256: string | null;
  restoredAt: string | null;
  error: string | null;
  templateVersion: string | null;
};

before(async () => {
  h = await BacklexHarness.boot({ workers: true });
  org = await h.org();
  developer = await h.member(org, 'developer');
  admin = await h.member(org, 'admin');
  viewer = await h.member(org, 'viewer');
  // Plans are written by billing's webhooks; here the org is put on `max` (30-day window, many projects).
  await sql(`UPDATE organization SET "planId" = 'max' WHERE id = $1`, [org.id]);
});
after(async () => h?.close());

const context = () => h.service.booted.context;
const area = () => backlexProjects(context());

async function sql<T>(query: string, params: unknown[] = []): Promise<T[]> {
  return (await context().database().pool.query(query, params)).rows as T[];
}

function databaseFile(id: string): string {
  return path.join(context().config.dataDir, 'backlex', 'databases', `${id}.sqlite`);
}

function sha256Of(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

function activeProject(name: string, template = 'blank'): Promise<Project> {
  return h.activeProject(org, { name, template, as: developer, waitMs: 120_000 });
}

async function query(project: Project, sqlText: string, params: unknown[] = []) {
  return h.inject({
    method: 'POST',
    url: `/api/db/${project.id}/query`,
    headers: { authorization: `Bearer ${project.adminToken}` },
    payload: { sql: sqlText, params },
    // An extension (not in seed 003): its answers follow the route's own schema in /openapi.json.
    skipContract: true,
  });
}

async function exec(project: Project, sqlText: string, params: unknown[] = []) {
  const response = await query(project, sqlText, params);
  assert.equal(response.statusCode, 200, response.body);
  return response.json().results[0] as { rows: unknown[][] };
}

async function rows(project: Project): Promise<unknown[][]> {
  return (await exec(project, 'SELECT id, v FROM kv ORDER BY id')).rows;
}

const backupsUrl = (project: Project) => `/api/org/${org.slug}/projects/${project.slug}/backups`;

async function listBackups(project: Project, as: TestUser = viewer): Promise<Backup[]> {
  const listed = await h.inject({ method: 'GET', url: backupsUrl(project), as });
  assert.equal(listed.statusCode, 200, listed.body);
  return listed.json().backups;
}

async function completedBackup(project: Project, kind?: 'manual' | 'auto'): Promise<Backup> {
  const created = await h.inject({
    method: 'POST',
    url: backupsUrl(project),
    as: developer,
    payload: kind ? { kind } : {},
  });
  assert.equal(created.statusCode, 201, created.body);
  const pending = created.json().backup as Backup;
  assert.equal(pending.status, 'pending');
  assert.equal(pending.kind, kind ?? 'manual');
  return eventually(
    async () => {
      const found = (await listBackups(project)).find((backup) => backup.id === pending.id);
      assert.notEqual(found?.status, 'failed', found?.error ?? '');
      return found?.status === 'completed' ? found : undefined;
    },
    `backup ${pending.id} completed`,
    120_000,
  );
}

function restoreBackup(project: Project, backupId: string, as: TestUser = admin) {
  return h.inject({ method: 'POST', url: `${backupsUrl(project)}/${backupId}/restore`, as });
}

function pitr(project: Project, timestamp: number, as: TestUser = admin) {
  return h.inject({
    method: 'POST',
    url: `/api/org/${org.slug}/projects/${project.slug}/restore`,
    as,
    payload: { timestamp },
  });
}

async function restoredTo(project: Project, timestamp: number): Promise<string> {
  const response = await pitr(project, timestamp);
  assert.equal(response.statusCode, 200, response.body);
  return response.json().restoredTo;
}

/** A deterministic pseudo-random sequence (xorshift), so a failure replays. */
function random(seed: number) {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}

describe('backups', () => {
  test('POST 201 pending → the job completes it with the size and sha256 of the checkpointed file; listed newest first', async () => {
    const project = await activeProject('Backed up');
    await exec(project, 'CREATE TABLE kv (id INTEGER PRIMARY KEY, v TEXT)');
    await exec(project, "INSERT INTO kv (v) VALUES ('one'), ('two')");
    const backup = await completedBackup(project);
    // Nothing wrote since: the checkpointed live file is the backup, byte for byte.
    assert.equal(backup.sha256, sha256Of(databaseFile(project.id)));
    assert.equal(backup.sizeBytes, fs.statSync(databaseFile(project.id)).size);
    const [row] = await sql<{ object_key: string }>('SELECT object_key FROM project_backups WHERE id = $1', [
      backup.id,
    ]);
    const stored = await context().objects.head(row!.object_key);
    assert.equal(stored?.size, backup.sizeBytes);

    const second = await completedBackup(project, 'auto');
    const listed = await listBackups(project);
    assert.deepEqual(
      listed.map((item) => item.id),
      [second.id, backup.id],
    );
    assert.deepEqual(Object.keys(listed[0]!).sort(), [
      'completedAt',
      'createdAt',
      'error',
      'id',
      'kind',
      'projectId',
      'restoredAt',
      'sha256',
      'sizeBytes',
      'status',
      'templateVersion',
    ]);
    assert.equal(listed[0]!.templateVersion, '1');
    const audit = await sql<{ action: string }>(
      'SELECT action FROM audit_event WHERE target_id = $1 ORDER BY id',
      [backup.id],
    );
    assert.deepEqual(
      audit.map((entry) => entry.action),
      ['backup.requested', 'backup.completed'],
    );
    const [event] = await sql<{ data: { kind: string; sizeBytes: number } }>(
      `SELECT data FROM events WHERE type = 'backup.created' AND data->>'backupId' = $1`,
      [backup.id],
    );
    assert.equal(event?.data.sizeBytes, backup.sizeBytes);
  });

  test('roles: a viewer cannot create (403), a developer cannot restore (403); a provisioning project is 409', async () => {
    const project = await activeProject('Roles');
    const refused = await h.inject({ method: 'POST', url: backupsUrl(project), as: viewer, payload: {} });
    assert.equal(refused.statusCode, 403, refused.body);
    const backup = await completedBackup(project);
    const byDeveloper = await restoreBackup(project, backup.id, developer);
    assert.equal(byDeveloper.statusCode, 403, byDeveloper.body);
    const pitrByDeveloper = await pitr(project, Date.now(), developer);
    assert.equal(pitrByDeveloper.statusCode, 403, pitrByDeveloper.body);
    const unknown = await restoreBackup(project, 'bkp_unknown');
    assert.equal(unknown.statusCode, 404, unknown.body);

    await sql(`UPDATE projects SET status = 'failed' WHERE id = $1`, [project.id]);
    const onFailed = await h.inject({ method: 'POST', url: backupsUrl(project), as: developer, payload: {} });
    assert.equal(onFailed.statusCode, 409, onFailed.body);
    assert.equal(onFailed.json().error.code, 'INVALID_PROJECT_STATE');
    const restoreFailed = await restoreBackup(project, backup.id);
    assert.equal(restoreFailed.statusCode, 409, restoreFailed.body);
    const pitrFailed = await pitr(project, Date.now());
    assert.equal(pitrFailed.statusCode, 409, pitrFailed.body);
    await sql(`UPDATE projects SET status = 'active' WHERE id = $1`, [project.id]);
  });

  test('restore: a pending backup is 409; a completed one swaps in atomically, the live file then hashes to it, with a restore deploy and event', async () => {
    const project = await activeProject('Restore me');
    await exec(project, 'CREATE TABLE kv (id INTEGER PRIMARY KEY, v TEXT)');
    await exec(project, "INSERT INTO kv (v) VALUES ('kept')");
    const backup = await completedBackup(project);
    await exec(project, "INSERT INTO kv (v) VALUES ('after the backup')");
    await exec(project, "UPDATE kv SET v = 'changed' WHERE id = 1");

    // A pending backup (as the POST leaves it before its job ran) cannot be restored.
    await sql(
      `INSERT INTO project_backups (id, project_id, kind, status, object_key) VALUES ('bkp_pending_t', $1, 'manual', 'pending', 'backups/x/bkp_pending_t.sqlite')`,
      [project.id],
    );
    const pending = await restoreBackup(project, 'bkp_pending_t');
    assert.equal(pending.statusCode, 409, pending.body);
    assert.equal(pending.json().error.code, 'BACKUP_NOT_READY');

    const restored = await restoreBackup(project, backup.id);
    assert.equal(restored.statusCode, 200, restored.body);
    const answered = restored.json().backup as Backup;
    assert.equal(answered.id, backup.id);
    assert.ok(answered.restoredAt && Date.parse(answered.restoredAt) > 0);
    assert.equal(sha256Of(databaseFile(project.id)), backup.sha256, 'the live file is the backup');
    assert.deepEqual(await rows(project), [[1, 'kept']]);

    const deploys = await h.inject({
      method: 'GET',
      url: `/api/org/${org.slug}/projects/${project.slug}/deploys`,
      as: viewer,
    });
    assert.equal(deploys.json().deploys[0].kind, 'restore');
    assert.equal(deploys.json().deploys[0].status, 'succeeded');
    const [event] = await sql<{ data: { backupId?: string; restoredTo: string } }>(
      `SELECT data FROM events WHERE type = 'project.restored' AND data->>'projectId' = $1`,
      [project.id],
    );
    assert.equal(event?.data.backupId, backup.id);
    const [audit] = await sql<{ actor_type: string; data: { backupId: string } }>(
      `SELECT actor_type, data FROM audit_event WHERE action = 'project.restored' AND target_id = $1`,
      [project.id],
    );
    assert.equal(audit?.actor_type, 'user');
    assert.equal(audit?.data.backupId, backup.id);
  });

  test('a corrupt backup (one byte flipped in the stored object) is refused with 409 BACKUP_CORRUPT; the live database is untouched', async () => {
    const project = await activeProject('Corrupt');
    await exec(project, 'CREATE TABLE kv (id INTEGER PRIMARY KEY, v TEXT)');
    await exec(project, "INSERT INTO kv (v) VALUES ('backed up')");
    const backup = await completedBackup(project);
    await exec(project, "INSERT INTO kv (v) VALUES ('live only')");
    const [row] = await sql<{ object_key: string }>('SELECT object_key FROM project_backups WHERE id = $1', [
      backup.id,
    ]);
    const objectFile = path.join(context().config.dataDir, 'objects', 'backlex', row!.object_key);
    assert.ok(fs.existsSync(objectFile), objectFile);
    const bytes = fs.readFileSync(objectFile);
    bytes[bytes.length >> 1]! ^= 0xff;
    fs.writeFileSync(objectFile, bytes);

    const liveBefore = fs.readFileSync(databaseFile(project.id));
    const refused = await restoreBackup(project, backup.id);
    assert.equal(refused.statusCode, 409, refused.body);
    assert.equal(refused.json().error.code, 'BACKUP_CORRUPT');
    assert.deepEqual(fs.readFileSync(databaseFile(project.id)), liveBefore);
    assert.deepEqual(await rows(project), [
      [1, 'backed up'],
      [2, 'live only'],
    ]);
    const [restoredAt] = await sql<{ restored_at: Date | null }>(
      'SELECT restored_at FROM project_backups WHERE id = $1',
      [backup.id],
    );
    assert.equal(restoredAt!.restored_at, null);
  });

  test('the daily job requests one auto backup per active project; retention deletes auto backups past the window, keeps manual ones', async () => {
    const project = await activeProject('Daily');
    const requested = await area().backups.requestDaily(new Date());
    const [mine] = await sql<{ id: string }>(
      `SELECT id FROM project_backups WHERE project_id = $1 AND kind = 'auto'`,
      [project.id],
    );
    assert.ok(mine && requested.includes(mine.id));
    assert.deepEqual(
      (await area().backups.requestDaily(new Date())).filter((id) => id === mine.id),
      [],
      'a re-run the same day requests nothing new for it',
    );
    await eventually(
      async () => (await listBackups(project)).every((backup) => backup.status === 'completed'),
      'auto backup completed',
      120_000,
    );
    const manual = await completedBackup(project, 'manual');
    const [autoRow] = await sql<{ object_key: string }>(
      'SELECT object_key FROM project_backups WHERE id = $1',
      [mine.id],
    );
    // 31 days on (the max plan keeps 30): the auto backup goes, object and row; the manual one stays.
    const outcome = await area().backups.applyRetention(new Date(Date.now() + 31 * 24 * 60 * 60 * 1000));
    assert.ok(outcome.prunedFiles >= 1);
    assert.deepEqual(
      (await listBackups(project)).map((backup) => backup.id),
      [manual.id],
    );
    assert.equal(await context().objects.head(autoRow!.object_key), undefined);
  });
});

describe('point-in-time restore', () => {
  test('random transactions, restored to random instants: the content equals the model at T; restoredTo is the last commit ≤ T', async () => {
    const project = await activeProject('Time travel');
    await exec(project, 'CREATE TABLE kv (id INTEGER PRIMARY KEY, v TEXT)');
    const next = random(17);
    const model = new Map<number, string>();
    /** After commit i: the model then, and the instants bracketing the commit. */
    const states: { rows: unknown[][]; sentAt: number; ackedAt: number }[] = [];
    const snapshot = () =>
      [...model.entries()].sort((a, b) => a[0] - b[0]).map(([id, v]) => [id, v] as unknown[]);
    let nextId = 1;
    for (let commit = 0; commit < 40; commit++) {
      const sentAt = Date.now();
      const roll = next();
      const ids = [...model.keys()];
      if (roll < 0.5 || ids.length === 0) {
        const v = `v${commit}-${'x'.repeat(Math.floor(next() * 3000))}`;
        await exec(project, 'INSERT INTO kv (id, v) VALUES (?, ?)', [nextId, v]);
        model.set(nextId++, v);
      } else if (roll < 0.8) {
        const id = ids[Math.floor(next() * ids.length)]!;
        const v = `u${commit}`;
        await exec(project, 'UPDATE kv SET v = ? WHERE id = ?', [v, id]);
        model.set(id, v);
      } else {
        const id = ids[Math.floor(next() * ids.length)]!;
        await exec(project, 'DELETE FROM kv WHERE id = ?', [id]);
        model.delete(id);
      }
      states.push({ rows: snapshot(), sentAt, ackedAt: Date.now() });
      // Checkpoints now and then: restores cross generations and bases (a backup is a kept base).
      if (commit === 12 || commit === 27) await completedBackup(project);
      await sleep(4);
    }
    const pick = random(99);
    const chosen = new Set<number>([39]);
    while (chosen.size < 7) chosen.add(Math.floor(pick() * states.length));
    for (const index of [...chosen].sort(() => pick() - 0.5)) {
      const state = states[index]!;
      const until = states[index + 1]?.sentAt ?? Date.now();
      const target = state.ackedAt + Math.floor((until - state.ackedAt) / 2);
      const to = await restoredTo(project, target);
      assert.deepEqual(await rows(project), state.rows, `content at commit ${index}`);
      assert.ok(Date.parse(to) <= target, `restoredTo ${to} ≤ T`);
      assert.ok(Date.parse(to) >= state.sentAt, `restoredTo ${to} is commit ${index}'s`);
    }
  });

  test('at a commit boundary the restored file is byte-equal to the checkpointed file of that moment', async () => {
    const project = await activeProject('Byte equal');
    await exec(project, 'CREATE TABLE kv (id INTEGER PRIMARY KEY, v TEXT)');
    for (let index = 0; index < 20; index++) {
      await exec(project, 'INSERT INTO kv (v) VALUES (?)', [`row ${index} ${'y'.repeat(500)}`]);
    }
    await exec(project, 'DELETE FROM kv WHERE id % 3 = 0');
    const boundary = Date.now();
    await sleep(5);
    // The backup checkpoints after the boundary: it is the file as of the boundary.
    const backup = await completedBackup(project);
    await exec(project, "INSERT INTO kv (v) VALUES ('later')");
    await restoredTo(project, boundary);
    assert.equal(sha256Of(databaseFile(project.id)), backup.sha256);
  });

  test('a restore is undone by restoring to a time before it (backup restore and PITR alike)', async () => {
    const project = await activeProject('Undo');
    await exec(project, 'CREATE TABLE kv (id INTEGER PRIMARY KEY, v TEXT)');
    await exec(project, "INSERT INTO kv (v) VALUES ('a')");
    const backup = await completedBackup(project);
    await exec(project, "INSERT INTO kv (v) VALUES ('b')");
    await exec(project, "UPDATE kv SET v = 'A' WHERE id = 1");
    const beforeRestore = Date.now();
    await sleep(5);
    const restored = await restoreBackup(project, backup.id);
    assert.equal(restored.statusCode, 200, restored.body);
    assert.deepEqual(await rows(project), [[1, 'a']]);
    await exec(project, "INSERT INTO kv (v) VALUES ('after the restore')");
    const afterWrite = Date.now();
    await sleep(5);

    await restoredTo(project, beforeRestore);
    assert.deepEqual(await rows(project), [
      [1, 'A'],
      [2, 'b'],
    ]);
    // And that PITR is undone the same way.
    await restoredTo(project, afterWrite);
    assert.deepEqual(await rows(project), [
      [1, 'a'],
      [2, 'after the restore'],
    ]);
  });

  test('timestamp: seconds below 10^11, else ms; outside [max(now − window, creation), now] → 422 with the range in details', async () => {
    const project = await activeProject('Range');
    await exec(project, 'CREATE TABLE kv (id INTEGER PRIMARY KEY, v TEXT)');
    await exec(project, "INSERT INTO kv (v) VALUES ('one')");
    await sleep(1100);
    const seconds = Math.floor(Date.now() / 1000);
    await exec(project, "INSERT INTO kv (v) VALUES ('two')");
    await restoredTo(project, seconds);
    assert.deepEqual(await rows(project), [[1, 'one']]);

    for (const timestamp of [Date.now() + 60_000, Date.parse(project.createdAt) - 60_000, 1_000]) {
      const refused = await pitr(project, timestamp);
      assert.equal(refused.statusCode, 422, refused.body);
      const error = refused.json().error;
      assert.equal(error.code, 'VALIDATION');
      assert.equal(error.details[0].path, 'timestamp');
      assert.ok(Date.parse(error.details[0].validFrom) >= Date.parse(project.createdAt));
      assert.ok(Date.parse(error.details[0].validTo) <= Date.now());
    }
    const malformed = await pitr(project, -5);
    assert.equal(malformed.statusCode, 422, malformed.body);

    // The plan's window bounds it too: a project made two days ago on a one-day plan.
    await sql(`UPDATE projects SET created_at = now() - interval '2 days' WHERE id = $1`, [project.id]);
    await sql(`UPDATE organization SET "planId" = 'free' WHERE id = $1`, [org.id]);
    try {
      const tooOld = await pitr(project, Date.now() - 36 * 60 * 60 * 1000);
      assert.equal(tooOld.statusCode, 422, tooOld.body);
      const from = Date.parse(tooOld.json().error.details[0].validFrom);
      assert.ok(from >= Date.now() - 24 * 60 * 60 * 1000 - 60_000);
    } finally {
      await sql(`UPDATE organization SET "planId" = 'max' WHERE id = $1`, [org.id]);
    }
  });

  test('a paused project can be restored', async () => {
    const project = await activeProject('Paused restore');
    await exec(project, 'CREATE TABLE kv (id INTEGER PRIMARY KEY, v TEXT)');
    const mark = Date.now();
    await sleep(5);
    await exec(project, "INSERT INTO kv (v) VALUES ('gone after the restore')");
    const paused = await h.inject({
      method: 'POST',
      url: `/api/org/${org.slug}/projects/${project.slug}/pause`,
      as: developer,
    });
    assert.equal(paused.statusCode, 200, paused.body);
    await restoredTo(project, mark);
    const resumed = await h.inject({
      method: 'POST',
      url: `/api/org/${org.slug}/projects/${project.slug}/resume`,
      as: developer,
    });
    assert.equal(resumed.statusCode, 200, resumed.body);
    assert.deepEqual(await rows(project), []);
  });
});

describe('templateVersion after a restore', () => {
  const projectUrl = (project: Project) => `/api/org/${org.slug}/projects/${project.slug}`;

  async function templateVersionOf(project: Project): Promise<string | null> {
    const got = await h.inject({ method: 'GET', url: projectUrl(project), as: viewer });
    assert.equal(got.statusCode, 200, got.body);
    return got.json().project.templateVersion;
  }

  async function upgrade(project: Project, version: string): Promise<{ status: string; reason?: string }> {
    const upgraded = await h.inject({
      method: 'POST',
      url: `${projectUrl(project)}/upgrade?version=${version}`,
      as: developer,
    });
    assert.equal(upgraded.statusCode, 200, upgraded.body);
    return upgraded.json();
  }

  /** `todo` 2 adds `todos.due_at`: whether the live schema has it. */
  async function hasDueAt(project: Project): Promise<boolean> {
    const response = await query(project, 'SELECT due_at FROM todos');
    if (response.statusCode === 200) return true;
    assert.equal(response.json().error.code, 'SQL_ERROR', response.body);
    return false;
  }

  async function lastDeploy(project: Project) {
    const deploys = await h.inject({ method: 'GET', url: `${projectUrl(project)}/deploys`, as: viewer });
    return deploys.json().deploys[0] as {
      kind: string;
      fromVersion: string | null;
      toVersion: string | null;
    };
  }

  test('backup taken at v1, upgraded to v2, backup restored → v1 again, and upgrading to v2 is `upgraded` (schema migrated), not skipped', async () => {
    const project = await activeProject('Versioned backup', 'todo@1');
    assert.equal(await templateVersionOf(project), '1');
    await exec(project, "INSERT INTO todos (title) VALUES ('one')");
    const backup = await completedBackup(project);
    assert.equal(backup.templateVersion, '1');
    assert.equal((await upgrade(project, '2')).status, 'upgraded');
    assert.equal(await templateVersionOf(project), '2');
    assert.equal(await hasDueAt(project), true);
    const after = await completedBackup(project);
    assert.equal(after.templateVersion, '2');

    const restored = await restoreBackup(project, backup.id);
    assert.equal(restored.statusCode, 200, restored.body);
    assert.equal(await templateVersionOf(project), '1');
    assert.equal(await hasDueAt(project), false);
    const deploy = await lastDeploy(project);
    assert.deepEqual([deploy.kind, deploy.fromVersion, deploy.toVersion], ['restore', '2', '1']);
    assert.equal((await upgrade(project, '2')).status, 'upgraded');
    assert.equal(await hasDueAt(project), true);
    assert.equal(await templateVersionOf(project), '2');
    // And back to the v2 backup: 2 (an upgrade to 2 is then skipped, rightly).
    assert.equal((await restoreBackup(project, after.id)).statusCode, 200);
    assert.equal(await templateVersionOf(project), '2');
    assert.equal((await upgrade(project, '2')).status, 'skipped');
  });

  test('a backup from before versions were recorded (null) takes the deploys log at its completion', async () => {
    const project = await activeProject('Legacy backup', 'todo@1');
    const backup = await completedBackup(project);
    await sql('UPDATE project_backups SET template_version = NULL WHERE id = $1', [backup.id]);
    assert.equal((await upgrade(project, '2')).status, 'upgraded');
    assert.equal((await restoreBackup(project, backup.id)).statusCode, 200);
    assert.equal(await templateVersionOf(project), '1');
    assert.equal((await upgrade(project, '2')).status, 'upgraded');
    assert.equal(await hasDueAt(project), true);
  });

  test('point-in-time restore to before an upgrade → v1 again and upgrading is `upgraded`; to after it → v2', async () => {
    const project = await activeProject('Versioned PITR', 'todo@1');
    await exec(project, "INSERT INTO todos (title) VALUES ('one')");
    const beforeUpgrade = Date.now();
    await sleep(5);
    assert.equal((await upgrade(project, '2')).status, 'upgraded');
    await exec(project, "INSERT INTO todos (title, due_at) VALUES ('two', '2027-01-01')");
    const afterUpgrade = Date.now();
    await sleep(5);

    await restoredTo(project, beforeUpgrade);
    assert.equal(await templateVersionOf(project), '1');
    assert.equal(await hasDueAt(project), false);
    const deploy = await lastDeploy(project);
    assert.deepEqual([deploy.kind, deploy.fromVersion, deploy.toVersion], ['restore', '2', '1']);
    // Undone by restoring to after the upgrade: the file says 2 again.
    await restoredTo(project, afterUpgrade);
    assert.equal(await templateVersionOf(project), '2');
    assert.equal(await hasDueAt(project), true);

    await restoredTo(project, beforeUpgrade);
    assert.equal((await upgrade(project, '2')).status, 'upgraded');
    assert.equal(await hasDueAt(project), true);
    assert.equal(await templateVersionOf(project), '2');
  });
});

describe('history failures', () => {
  test('a recorder that cannot record: the write answers 503 HISTORY_UNAVAILABLE, nothing runs until the file is re-based, and no acknowledged commit is missing from the history', async () => {
    const project = await activeProject('Recorder down');
    await exec(project, 'CREATE TABLE kv (id INTEGER PRIMARY KEY, v TEXT)');
    await exec(project, "INSERT INTO kv (v) VALUES ('acknowledged 1')");
    const afterFirst = Date.now();
    await sleep(5);
    // A backup checkpoints: the next write opens a new spool generation file.
    await completedBackup(project);
    const spoolDir = path.join(context().config.dataDir, 'backlex', 'history', project.id);
    const aside = `${spoolDir}.aside`;
    fs.renameSync(spoolDir, aside);
    fs.writeFileSync(spoolDir, 'not a directory');
    try {
      const failed = await query(project, "INSERT INTO kv (v) VALUES ('not acknowledged')");
      assert.equal(failed.statusCode, 503, failed.body);
      assert.equal(failed.json().error.code, 'HISTORY_UNAVAILABLE');
      // The re-base cannot happen yet: nothing runs (not even this write).
      const refused = await query(project, "INSERT INTO kv (v) VALUES ('never ran')");
      assert.equal(refused.statusCode, 503, refused.body);
      assert.equal(refused.json().error.code, 'HISTORY_UNAVAILABLE');
    } finally {
      fs.rmSync(spoolDir, { force: true });
      fs.renameSync(aside, spoolDir);
    }
    const beforeRebase = Date.now();
    await sleep(5);
    await exec(project, "INSERT INTO kv (v) VALUES ('acknowledged 2')");
    const live = await rows(project);
    assert.deepEqual(live, [
      [1, 'acknowledged 1'],
      [2, 'not acknowledged'],
      [3, 'acknowledged 2'],
    ]);
    const now = Date.now();
    await sleep(5);
    await restoredTo(project, now);
    assert.deepEqual(await rows(project), live, 'every acknowledged commit is in the history');
    await restoredTo(project, afterFirst);
    assert.deepEqual(await rows(project), [[1, 'acknowledged 1']]);
    // Before the re-base the history holds the state without the unacknowledged commit.
    await restoredTo(project, beforeRebase);
    assert.deepEqual(await rows(project), [[1, 'acknowledged 1']]);
  });

  test('a host SIGKILLed mid-load: every acknowledged commit is restorable', async () => {
    const project = await activeProject('Killed host');
    await exec(project, 'CREATE TABLE kv (id INTEGER PRIMARY KEY, v TEXT)');
    const acknowledged: { id: number; at: number }[] = [];
    const hostPids = () =>
      execFileSync('pgrep', ['-P', String(process.pid), '-f', 'host-entry'], { encoding: 'utf8' })
        .split('\n')
        .filter(Boolean)
        .map(Number);
    let refused = 0;
    const load = async (worker: number) => {
      for (let n = 0; n < 25; n++) {
        const id = worker * 100 + n;
        const response = await query(project, 'INSERT INTO kv (id, v) VALUES (?, ?)', [id, `row ${id}`]);
        if (response.statusCode === 200) acknowledged.push({ id, at: Date.now() });
        else {
          // In flight when its host died: not acknowledged (it may or may not have committed).
          assert.equal(response.statusCode, 503, response.body);
          refused++;
        }
      }
    };
    const killer = async () => {
      await eventually(() => acknowledged.length >= 20, 'load under way');
      // Every host, the project's among them, while three writers are in flight.
      for (const pid of hostPids()) process.kill(pid, 'SIGKILL');
    };
    await Promise.all([load(1), load(2), load(3), killer()]);
    assert.ok(acknowledged.length >= 40, `acknowledged ${acknowledged.length}, refused ${refused}`);
    const ids = (await rows(project)).map((row) => row[0] as number);
    for (const { id } of acknowledged) assert.ok(ids.includes(id), `row ${id} is live`);
    acknowledged.sort((a, b) => a.at - b.at);
    const samples = [acknowledged[10]!, acknowledged[30]!, acknowledged.at(-1)!];
    for (const sample of samples) {
      await restoredTo(project, sample.at);
      const restored = (await rows(project)).map((row) => row[0] as number);
      for (const { id } of acknowledged.filter((entry) => entry.at <= sample.at)) {
        assert.ok(restored.includes(id), `acknowledged row ${id} restorable at ${sample.at}`);
      }
    }
  });
});
