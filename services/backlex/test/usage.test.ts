import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PgListener } from '@trustplane/kernel';
import { eventually, startWebhookReceiver, type WebhookReceiver } from '@trustplane/kernel/testkit';
import { PLANS } from '../src/billing/plan-catalogue.js';
import { systemClock } from '../src/billing/clock.js';
import { createUsageRepository, ENFORCEMENT_CHANNEL } from '../src/db/usage-repository.js';
import type { BacklexDatabase } from '../src/db/tables.js';
import { backlexProjects, backlexUsage } from '../src/index.js';
import { createUsageGate } from '../src/usage/usage-gate.js';
import { BacklexHarness, type TestOrg, type TestUser } from './support/backlex.js';
import { billingOf, postCardForm, setClock, startCheckout } from './support/billing.js';

// Usage, history, alarms and enforcement on real files (workers on), request counts flushed every
// 200 ms (BACKLEX_USAGE_FLUSH_MS), webhook and Slack deliveries to a local receiver.
let h: BacklexHarness;
let receiver: WebhookReceiver;

type Project = { id: string; slug: string; adminToken: string };

before(async () => {
  receiver = await startWebhookReceiver();
  h = await BacklexHarness.boot({
    workers: true,
    env: {
      BACKLEX_USAGE_FLUSH_MS: '200',
      TRUSTPLANE_ALLOW_PRIVATE_WEBHOOKS: '1',
      BACKLEX_WEBHOOK_RETRY_SECONDS: '1',
      BACKLEX_INTEGRATIONS_ORIGIN: receiver.origin,
    },
  });
});
after(async () => {
  await h?.close();
  await receiver?.close();
});

const today = () => new Date().toISOString().slice(0, 10);
const area = () => backlexUsage(h.service.booted.context);

async function sql<T>(query: string, params: unknown[] = []): Promise<T[]> {
  return (await h.service.booted.context.database().pool.query(query, params)).rows as T[];
}

function activeProject(org: TestOrg, as: TestUser = org.owner, name = 'Usage app'): Promise<Project> {
  return h.activeProject(org, { name, as, waitMs: 30_000 });
}

function query(project: Project, body: unknown, branch?: string) {
  return h.inject({
    method: 'POST',
    url: `/api/db/${project.id}${branch ? `/branches/${branch}` : ''}/query`,
    headers: { authorization: `Bearer ${project.adminToken}` },
    payload: body as Record<string, unknown>,
    // The data API is an extension, outside the seed.
    skipContract: true,
  });
}

async function usageOf(org: TestOrg, as: TestUser = org.owner) {
  const response = await h.inject({ method: 'GET', url: `/api/org/${org.slug}/usage`, as });
  assert.equal(response.statusCode, 200, response.body);
  return response.json() as {
    plan: string;
    period: { start: string; end: string };
    metrics: {
      metric: string;
      used: number;
      included: number;
      topups: number;
      allowance: number;
      usedPct: number;
    }[];
    projects: {
      projectId: string;
      slug: string;
      deleted: boolean;
      requests: number;
      d1: number;
      r2: number;
    }[];
    enforcement: { requestThrottled: boolean; storageReadOnly: boolean };
  };
}

const metric = (usage: Awaited<ReturnType<typeof usageOf>>, name: string) =>
  usage.metrics.find((entry) => entry.metric === name);

async function historyOf(org: TestOrg, as: TestUser = org.owner) {
  const response = await h.inject({ method: 'GET', url: `/api/org/${org.slug}/usage/history`, as });
  assert.equal(response.statusCode, 200, response.body);
  return response.json() as {
    from: string;
    to: string;
    days: {
      day: string;
      requests: number;
      d1: number;
      r2: number;
      projects: { projectId: string; requests: number }[];
    }[];
    projects: { id: string; slug: string; deleted: boolean; deletedAt: string | null }[];
  };
}

async function buyPack(org: TestOrg, type: string) {
  const url = await startCheckout(h, org, { type }, 'billing/packs/checkout');
  const paid = await postCardForm(h, url, { cardNumber: '4242 4242 4242 4242' });
  assert.equal(paid.statusCode, 303, paid.body);
}

describe('usage and history', () => {
  test('a new org: the plan allowances, nothing used, the calendar month; history is 90 zero days ending today', async () => {
    const org = await h.org();
    const viewer = await h.member(org, 'viewer');
    const usage = await usageOf(org, viewer);
    assert.equal(usage.plan, 'free');
    const now = new Date();
    assert.equal(
      usage.period.start,
      new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString(),
    );
    assert.deepEqual(
      usage.metrics.map((entry) => [
        entry.metric,
        entry.used,
        entry.included,
        entry.topups,
        entry.allowance,
        entry.usedPct,
      ]),
      (['requests', 'd1', 'r2', 'neurons'] as const).map((name) => [
        name,
        0,
        PLANS.free.allowances[name],
        0,
        PLANS.free.allowances[name],
        0,
      ]),
    );
    assert.deepEqual(usage.projects, []);
    assert.deepEqual(usage.enforcement, { requestThrottled: false, storageReadOnly: false });

    const history = await historyOf(org, viewer);
    assert.equal(history.days.length, 90);
    assert.equal(history.to, today());
    assert.equal(history.days.at(-1)?.day, today());
    assert.equal(history.days[0]?.day, history.from);
    assert.equal(
      new Date(`${history.to}T00:00:00Z`).getTime() - new Date(`${history.from}T00:00:00Z`).getTime(),
      89 * 86_400_000,
    );
    assert.ok(history.days.every((day) => day.requests === 0 && day.d1 === 0 && day.projects.length === 0));
  });

  test('data-API requests count per project and day, branches included; d1 is the files of the project and its branches after writes', async () => {
    const org = await h.org();
    const project = await activeProject(org);
    const written = await query(project, {
      batch: [{ sql: 'CREATE TABLE notes (body TEXT)' }, { sql: "INSERT INTO notes VALUES ('hello')" }],
    });
    assert.equal(written.statusCode, 200, written.body);
    for (let index = 0; index < 4; index += 1)
      assert.equal((await query(project, { sql: 'SELECT 1' })).statusCode, 200);
    const branch = await h.inject({
      method: 'POST',
      url: `/api/org/${org.slug}/projects/${project.slug}/branches`,
      as: org.owner,
      payload: { name: 'preview' },
    });
    assert.equal(branch.statusCode, 201, branch.body);
    const branchId = branch.json().branch.id as string;
    assert.equal(
      (await query(project, { sql: "INSERT INTO notes VALUES ('on the branch')" }, 'preview')).statusCode,
      200,
    );
    assert.equal((await query(project, { sql: 'SELECT * FROM notes' }, 'preview')).statusCode, 200);
    // Refused statements still count as requests; a wrong token does not.
    assert.equal((await query(project, { sql: 'SELEC nonsense' })).statusCode, 400);
    const unauthorized = await h.inject({
      method: 'POST',
      url: `/api/db/${project.id}/query`,
      headers: { authorization: 'Bearer bxk_wrong' },
      payload: { sql: 'SELECT 1' },
      skipContract: true,
    });
    assert.equal(unauthorized.statusCode, 401);

    const files = backlexProjects(h.service.booted.context).databases;
    const usage = await eventually(async () => {
      const current = await usageOf(org);
      const expectedD1 = (await files.sizeBytes(project.id)) + (await files.sizeBytes(branchId));
      const entry = current.projects[0];
      return entry?.requests === 8 && entry.d1 === expectedD1 && expectedD1 > 0 ? current : undefined;
    }, 'requests and d1 flushed');
    assert.equal(metric(usage, 'requests')?.used, 8);
    assert.equal(metric(usage, 'd1')?.used, usage.projects[0]?.d1);
    const history = await historyOf(org);
    const day = history.days.at(-1);
    assert.equal(day?.requests, 8);
    assert.deepEqual(
      day?.projects.map((entry) => [entry.projectId, entry.requests]),
      [[project.id, 8]],
    );
    assert.deepEqual(
      history.projects.map((entry) => [entry.id, entry.deleted]),
      [[project.id, false]],
    );
  });

  test('history and usage keep a deleted project: its requests stay, its storage stops counting', async () => {
    const org = await h.org();
    const project = await activeProject(org);
    for (let index = 0; index < 3; index += 1)
      assert.equal((await query(project, { sql: 'SELECT 1' })).statusCode, 200);
    await eventually(
      async () => ((await usageOf(org)).projects[0]?.requests === 3 ? true : undefined),
      'flushed',
    );
    const removed = await h.inject({
      method: 'DELETE',
      url: `/api/org/${org.slug}/projects/${project.slug}`,
      as: org.owner,
    });
    assert.equal(removed.statusCode, 200, removed.body);
    const history = await historyOf(org);
    assert.equal(history.projects[0]?.id, project.id);
    assert.equal(history.projects[0]?.deleted, true);
    assert.ok(history.projects[0]?.deletedAt);
    assert.equal(history.days.at(-1)?.requests, 3);
    const usage = await usageOf(org);
    assert.equal(metric(usage, 'requests')?.used, 3, 'requests made in the period stay counted');
    assert.deepEqual(
      usage.projects.map((entry) => [entry.projectId, entry.deleted, entry.d1, entry.r2]),
      [[project.id, true, 0, 0]],
    );
  });

  test('r2: an object counts on every UTC day it was stored at some moment of; the project is resampled when one is recorded', async () => {
    const org = await h.org();
    const project = await activeProject(org);
    const yesterday = new Date(Date.now() - 86_400_000);
    const objects = area().storedObjects;
    await objects.record(undefined, {
      kind: 'backup',
      key: `${project.id}/old`,
      projectId: project.id,
      sizeBytes: 500,
      at: yesterday,
    });
    await objects.forget(undefined, { kind: 'backup', key: `${project.id}/old`, at: yesterday });
    await objects.record(undefined, {
      kind: 'export',
      key: `${project.id}/dump`,
      projectId: project.id,
      sizeBytes: 1234,
    });
    // Recording again (a retried job) is idempotent.
    await objects.record(undefined, {
      kind: 'export',
      key: `${project.id}/dump`,
      projectId: project.id,
      sizeBytes: 1234,
    });
    assert.equal(
      (await objects.objectBytesByProject(yesterday.toISOString().slice(0, 10))).get(project.id),
      500,
    );
    assert.equal((await objects.objectBytesByProject(today())).get(project.id), 1234);
    const usage = await eventually(async () => {
      const current = await usageOf(org);
      return current.projects[0]?.r2 === 1234 ? current : undefined;
    }, 'r2 sampled');
    assert.equal(metric(usage, 'r2')?.used, 1234);
    await objects.forget(undefined, { kind: 'export', key: `${project.id}/dump` });
    assert.equal((await objects.objectBytesByProject(today())).get(project.id), 1234, 'still stored today');
  });

  test('r2 end to end: a completed backup and an export of the project count their stored bytes', async () => {
    const org = await h.org();
    const project = await activeProject(org, org.owner, 'R2 app');
    const base = `/api/org/${org.slug}/projects/${project.slug}/backups`;
    const created = await h.inject({ method: 'POST', url: base, as: org.owner, payload: {} });
    assert.equal(created.statusCode, 201, created.body);
    const backup = await eventually(
      async () => {
        const listed = await h.inject({ method: 'GET', url: base, as: org.owner });
        const found = listed
          .json()
          .backups.find((entry: { id: string }) => entry.id === created.json().backup.id);
        return found?.status === 'completed' ? (found as { sizeBytes: number }) : undefined;
      },
      'backup completed',
      120_000,
    );
    assert.ok(backup.sizeBytes > 0);
    const exported = await h.inject({ method: 'POST', url: `/api/org/${org.slug}/export`, as: org.owner });
    assert.equal(exported.statusCode, 200, exported.body);
    const dump = exported
      .json()
      .projects.find((item: { projectId: string }) => item.projectId === project.id);
    assert.ok(dump, exported.body);
    const expected = backup.sizeBytes + (dump.sizeBytes as number);
    const usage = await eventually(async () => {
      const current = await usageOf(org);
      const entry = current.projects.find((item) => item.projectId === project.id);
      return entry?.r2 === expected ? current : undefined;
    }, `r2 = ${expected} (backup + export)`);
    assert.equal(metric(usage, 'r2')?.used, expected);
  });
});

describe('the hourly sample', () => {
  test('every live project gets its day row (d1 of its files) without a request; deleted ones are not sampled', async () => {
    const org = await h.org();
    const project = await activeProject(org, org.owner, 'Quiet app');
    const gone = await activeProject(org, org.owner, 'Gone app');
    const removed = await h.inject({
      method: 'DELETE',
      url: `/api/org/${org.slug}/projects/${gone.slug}`,
      as: org.owner,
    });
    assert.equal(removed.statusCode, 200, removed.body);
    const result = await area().usage.sampleAndEvaluateAll();
    assert.ok(result.orgs >= 1);
    const rows = await sql<{ project_id: string; d1_bytes: string; requests: string }>(
      'SELECT project_id, d1_bytes, requests FROM project_usage_daily WHERE org_id = $1 AND day = $2',
      [org.id, today()],
    );
    const files = backlexProjects(h.service.booted.context).databases;
    assert.deepEqual(
      rows.map((row) => [row.project_id, Number(row.d1_bytes), Number(row.requests)]),
      [[project.id, await files.sizeBytes(project.id), 0]],
    );
    assert.ok(Number(rows[0]?.d1_bytes) > 0);
  });
});

describe('the request meter (no PostgreSQL write per request)', () => {
  test('counts stay in memory until a flush writes them as one row per project and day; a failed flush keeps them', async () => {
    const org = await h.org();
    const project = await activeProject(org);
    const real = createUsageRepository(h.service.booted.context.database<BacklexDatabase>().kysely);
    const writes: number[] = [];
    let failNext = false;
    const gate = createUsageGate({
      repository: {
        ...real,
        async addRequests(counts) {
          if (failNext) {
            failNext = false;
            throw new Error('database unavailable');
          }
          writes.push(counts.length);
          await real.addRequests(counts);
        },
      },
      clock: systemClock,
      flushIntervalMs: 3_600_000,
      afterFlush: async () => undefined,
      listen: async () => async () => undefined,
      logWarning: () => undefined,
    });
    await gate.start();
    for (let index = 0; index < 100; index += 1) assert.equal(await gate.admit(org.id, project.id), false);
    assert.deepEqual(writes, [], 'nothing written per request');
    failNext = true;
    await gate.flush();
    assert.deepEqual(writes, []);
    for (let index = 0; index < 20; index += 1) await gate.admit(org.id, project.id);
    await gate.close();
    assert.deepEqual(writes, [1], 'one statement, one row: the failed flush was merged into the next');
    const [row] = await sql<{ requests: string }>(
      'SELECT requests FROM project_usage_daily WHERE project_id = $1 AND day = $2',
      [project.id, today()],
    );
    assert.equal(Number(row?.requests), 120);
  });

  test('a throttled org is refused with 429 and Retry-After until its period ends, and such requests are not counted', async () => {
    const gate = createUsageGate({
      repository: {
        addRequests: async () => undefined,
        restrictedOrgs: async () => [],
        enforcementOf: async () => undefined,
      },
      clock: systemClock,
      flushIntervalMs: 3_600_000,
      afterFlush: async () => undefined,
      listen: async () => async () => undefined,
      logWarning: () => undefined,
    });
    await gate.start();
    gate.apply('org_a', {
      requestThrottled: true,
      storageReadOnly: false,
      periodEnd: new Date(Date.now() + 90_000),
    });
    assert.throws(
      () => gate.admit('org_a', 'prj_a'),
      (error: { statusCode?: number; code?: string; headers?: Record<string, string> } & Error) => {
        assert.equal(error.code, 'RATE_LIMITED');
        assert.equal(error.statusCode, 429);
        return true;
      },
    );
    assert.equal(gate.admit('org_b', 'prj_b'), false, 'other orgs are not affected');
    gate.apply('org_a', {
      requestThrottled: true,
      storageReadOnly: true,
      periodEnd: new Date(Date.now() - 1),
    });
    assert.equal(gate.admit('org_a', 'prj_a'), true, 'the period ended: admitted, read-only');
    gate.apply('org_a', { requestThrottled: false, storageReadOnly: false, periodEnd: new Date() });
    assert.equal(gate.restrictionOf('org_a'), undefined);
    await gate.close();
  });
});

describe('enforcement state across processes', () => {
  test('a state saved by one process reaches another gate through NOTIFY, and a restarted gate loads it', async () => {
    const db = h.service.booted.context.database<BacklexDatabase>();
    const repository = createUsageRepository(db.kysely);
    const gateWithListener = () =>
      createUsageGate({
        repository,
        clock: systemClock,
        flushIntervalMs: 3_600_000,
        afterFlush: async () => undefined,
        async listen(handlers) {
          const listener = new PgListener({
            pool: db.pool,
            channels: [ENFORCEMENT_CHANNEL],
            logger: h.service.booted.context.logger,
            onNotification: (_channel, orgId) => handlers.onChange(orgId),
            onConnected: handlers.onConnected,
          });
          await listener.start();
          return () => listener.stop();
        },
        logWarning: () => undefined,
      });
    const other = gateWithListener();
    await other.start();
    const orgId = `org_notify_${Date.now()}`;
    const periodEnd = new Date(Date.now() + 3_600_000);
    assert.equal(
      await repository.saveEnforcement(orgId, { requestThrottled: true, storageReadOnly: false, periodEnd }),
      true,
    );
    assert.equal(
      await repository.saveEnforcement(orgId, { requestThrottled: true, storageReadOnly: false, periodEnd }),
      false,
      'an unchanged state is not written again (no NOTIFY)',
    );
    await eventually(
      async () => (other.restrictionOf(orgId)?.requestThrottled ? true : undefined),
      'NOTIFY received',
    );
    assert.throws(() => other.admit(orgId, 'prj_x'), /allowance/);
    const restarted = gateWithListener();
    await restarted.start();
    assert.equal(restarted.restrictionOf(orgId)?.requestThrottled, true, 'loaded when it starts');
    await repository.saveEnforcement(orgId, { requestThrottled: false, storageReadOnly: false, periodEnd });
    await eventually(
      async () => (other.restrictionOf(orgId) === undefined ? true : undefined),
      'lifted by NOTIFY',
    );
    await other.close();
    await restarted.close();
  });
});

describe('alarms', () => {
  let org: TestOrg;
  let developer: TestUser;
  let viewer: TestUser;
  let admin: TestUser;
  let project: Project;
  before(async () => {
    org = await h.org();
    developer = await h.member(org, 'developer');
    viewer = await h.member(org, 'viewer');
    admin = await h.member(org, 'admin');
    project = await activeProject(org, developer);
  });
  const url = () => `/api/org/${org.slug}/projects/${project.slug}/alarms`;

  test('create (developers), list (everyone), duplicates 409, bad input 422, delete (admins)', async () => {
    const created = await h.inject({
      method: 'POST',
      url: url(),
      as: developer,
      payload: { metric: 'requests', thresholdPct: 80 },
    });
    assert.equal(created.statusCode, 201, created.body);
    const alarm = created.json().alarm;
    assert.deepEqual(Object.keys(alarm).sort(), [
      'createdAt',
      'firedThisPeriod',
      'id',
      'lastFiredAt',
      'metric',
      'projectId',
      'thresholdPct',
      'usedPct',
    ]);
    assert.equal(alarm.projectId, project.id);
    assert.equal(alarm.firedThisPeriod, false);

    const duplicate = await h.inject({
      method: 'POST',
      url: url(),
      as: developer,
      payload: { metric: 'requests', thresholdPct: 80 },
    });
    assert.equal(duplicate.statusCode, 409, duplicate.body);
    assert.equal(duplicate.json().error.code, 'ALARM_EXISTS');
    const otherThreshold = await h.inject({
      method: 'POST',
      url: url(),
      as: developer,
      payload: { metric: 'requests', thresholdPct: 90 },
    });
    assert.equal(otherThreshold.statusCode, 201, otherThreshold.body);

    for (const payload of [
      { metric: 'requests', thresholdPct: 0 },
      { metric: 'requests', thresholdPct: 101 },
      { metric: 'requests', thresholdPct: 50.5 },
      { metric: 'neurons', thresholdPct: 50 },
      { thresholdPct: 50 },
    ]) {
      const bad = await h.inject({ method: 'POST', url: url(), as: developer, payload });
      assert.equal(bad.statusCode, 422, JSON.stringify(payload));
      assert.equal(bad.json().error.code, 'VALIDATION');
    }
    const byViewer = await h.inject({
      method: 'POST',
      url: url(),
      as: viewer,
      payload: { metric: 'd1', thresholdPct: 10 },
    });
    assert.equal(byViewer.statusCode, 403);

    const listed = await h.inject({ method: 'GET', url: url(), as: viewer });
    assert.equal(listed.statusCode, 200, listed.body);
    assert.deepEqual(
      listed.json().alarms.map((entry: { thresholdPct: number }) => entry.thresholdPct),
      [80, 90],
    );

    const byDeveloper = await h.inject({ method: 'DELETE', url: `${url()}/${alarm.id}`, as: developer });
    assert.equal(byDeveloper.statusCode, 403);
    const other = await activeProject(org, developer, 'Other app');
    const wrongProject = await h.inject({
      method: 'DELETE',
      url: `/api/org/${org.slug}/projects/${other.slug}/alarms/${alarm.id}`,
      as: admin,
    });
    assert.equal(wrongProject.statusCode, 404, "another project's alarm id");
    const deleted = await h.inject({ method: 'DELETE', url: `${url()}/${alarm.id}`, as: admin });
    assert.equal(deleted.statusCode, 200, deleted.body);
    const again = await h.inject({ method: 'DELETE', url: `${url()}/${alarm.id}`, as: admin });
    assert.equal(again.statusCode, 404);
    const audit = await sql<{ action: string }>(
      `SELECT action FROM audit_event WHERE organization_id = $1 AND action LIKE 'alarm.%' ORDER BY id`,
      [org.id],
    );
    assert.deepEqual(
      audit.map((row) => row.action),
      ['alarm.created', 'alarm.created', 'alarm.deleted'],
    );
    const recreated = await h.inject({
      method: 'POST',
      url: url(),
      as: developer,
      payload: { metric: 'requests', thresholdPct: 80 },
    });
    assert.equal(recreated.statusCode, 201, 'a deleted alarm frees its metric and threshold');
    const unknownProject = await h.inject({
      method: 'GET',
      url: `/api/org/${org.slug}/projects/nope/alarms`,
      as: viewer,
    });
    assert.equal(unknownProject.statusCode, 404);
  });

  test('an alarm fires once per period as alarm.fired: a notification to admins and owners, the webhook, the Slack integration', async () => {
    const hook = await h.inject({
      method: 'POST',
      url: `/api/org/${org.slug}/webhooks`,
      as: org.owner,
      payload: { url: `${receiver.origin}/alarm-hook`, events: ['alarm.fired'] },
    });
    assert.equal(hook.statusCode, 201, hook.body);
    const slack = await h.inject({
      method: 'POST',
      url: `/api/org/${org.slug}/integrations`,
      as: org.owner,
      payload: {
        kind: 'slack',
        config: { webhookUrl: 'https://hooks.slack.com/services/T0/B0/ALARM' },
        events: ['alarm.fired'],
      },
    });
    assert.equal(slack.statusCode, 201, slack.body);
    const created = await h.inject({
      method: 'POST',
      url: url(),
      as: developer,
      payload: { metric: 'r2', thresholdPct: 50 },
    });
    assert.equal(created.statusCode, 201, created.body);
    const alarmId = created.json().alarm.id as string;

    // 6 GB of backups: 60 % of free's 10 GB r2 allowance.
    await area().storedObjects.record(undefined, {
      kind: 'backup',
      key: `${project.id}/big`,
      projectId: project.id,
      sizeBytes: 6_000_000_000,
    });
    const firedHooks = () =>
      receiver.received.filter(
        (request) =>
          request.path === '/alarm-hook' &&
          (request.json as { data?: { alarmId?: string } })?.data?.alarmId === alarmId,
      );
    const [delivery] = await eventually(
      async () => (firedHooks().length > 0 ? firedHooks() : undefined),
      'alarm.fired webhook',
    );
    const event = delivery?.json as { type: string; data: Record<string, unknown> };
    assert.equal(event.type, 'alarm.fired');
    assert.equal(delivery?.headers['x-trustplane-event'], 'alarm.fired');
    assert.equal(event.data.projectSlug, project.slug);
    assert.equal(event.data.metric, 'r2');
    assert.equal(event.data.thresholdPercent, 50);
    assert.equal(event.data.usedPercent, 60);
    await eventually(
      async () =>
        receiver.received.some(
          (request) => request.path === '/services/T0/B0/ALARM' && request.body.includes(project.slug),
        )
          ? true
          : undefined,
      'Slack message',
    );
    for (const [who, expected] of [
      [admin, 1],
      [org.owner, 1],
      [developer, 0],
    ] as const) {
      const notifications = await eventually(async () => {
        const response = await h.inject({
          method: 'GET',
          url: `/api/org/${org.slug}/notifications`,
          as: who,
        });
        const list = (response.json().notifications as { type: string }[]).filter(
          (entry) => entry.type === 'alarm.fired',
        );
        return list.length === expected ? list : undefined;
      }, `notifications (${expected})`);
      assert.equal(notifications.length, expected);
    }
    const listed = (await h.inject({ method: 'GET', url: url(), as: viewer })).json().alarms as {
      id: string;
      firedThisPeriod: boolean;
      lastFiredAt: string | null;
      usedPct: number;
    }[];
    const fired = listed.find((entry) => entry.id === alarmId);
    assert.equal(fired?.firedThisPeriod, true);
    assert.ok(fired?.lastFiredAt);
    assert.equal(fired?.usedPct, 60);

    // More use in the same period: evaluated again, not fired again.
    await area().storedObjects.record(undefined, {
      kind: 'backup',
      key: `${project.id}/more`,
      projectId: project.id,
      sizeBytes: 1_000_000_000,
    });
    await eventually(
      async () =>
        (await usageOf(org)).projects.find((entry) => entry.projectId === project.id)?.r2 === 7_000_000_000
          ? true
          : undefined,
      'resampled',
    );
    await area().usage.evaluate(org.id);
    assert.equal(firedHooks().length, 1, 'once per period');

    // The next period (billing's clock a month on): it fires again.
    const nextMonth = new Date();
    nextMonth.setUTCDate(1);
    nextMonth.setUTCMonth(nextMonth.getUTCMonth() + 1);
    nextMonth.setUTCDate(2);
    setClock(h, nextMonth);
    try {
      await area().storedObjects.record(undefined, {
        kind: 'backup',
        key: `${project.id}/next`,
        projectId: project.id,
        sizeBytes: 1,
      });
      const hooks = await eventually(
        async () => (firedHooks().length === 2 ? firedHooks() : undefined),
        'fired in the next period',
      );
      const second = hooks[1]?.json as { data: { period: string } };
      assert.notEqual(second.data.period, event.data.period);
    } finally {
      billingOf(h).clock.use(systemClock);
    }
  });
});

async function enforcementOf(org: TestOrg): Promise<{ requestThrottled: boolean; storageReadOnly: boolean }> {
  const billing = await h.inject({ method: 'GET', url: `/api/org/${org.slug}/billing`, as: org.owner });
  assert.equal(billing.statusCode, 200, billing.body);
  return billing.json().enforcement;
}

describe('enforcement', () => {
  test('over the request allowance: data API 429 RATE_LIMITED with Retry-After to the period end; a requests pack lifts it', async () => {
    const org = await h.org();
    const project = await activeProject(org);
    // The period's use so far (3,000,000 requests are not sent in a test): today's row of the project.
    await sql(`INSERT INTO project_usage_daily (project_id, day, org_id, requests) VALUES ($1, $2, $3, $4)`, [
      project.id,
      today(),
      org.id,
      PLANS.free.allowances.requests - 1,
    ]);
    assert.equal(
      (await query(project, { sql: 'SELECT 1' })).statusCode,
      200,
      'the last request of the allowance',
    );
    // Flushed, evaluated, stored: then the data API refuses (no request sent meanwhile).
    await eventually(
      async () => ((await enforcementOf(org)).requestThrottled ? true : undefined),
      'throttled',
    );
    const refused = await query(project, { sql: 'SELECT 1' });
    assert.equal(refused.statusCode, 429, refused.body);
    assert.equal(refused.json().error.code, 'RATE_LIMITED');
    const usage = await usageOf(org);
    const retryAfter = Number(refused.headers['retry-after']);
    const untilEnd = (new Date(usage.period.end).getTime() - Date.now()) / 1000;
    assert.ok(
      retryAfter > 0 && Math.abs(retryAfter - untilEnd) < 120,
      `Retry-After ${retryAfter} vs ${untilEnd}`,
    );
    assert.equal(
      metric(usage, 'requests')?.used,
      PLANS.free.allowances.requests,
      'refused requests are not counted',
    );
    assert.equal(usage.enforcement.requestThrottled, true);
    const billing = await h.inject({ method: 'GET', url: `/api/org/${org.slug}/billing`, as: org.owner });
    assert.equal(billing.json().enforcement.requestThrottled, true);
    assert.equal(billing.json().enforcement.storageReadOnly, false);

    await buyPack(org, 'requests');
    await eventually(
      async () => ((await query(project, { sql: 'SELECT 1' })).statusCode === 200 ? true : undefined),
      'unthrottled',
    );
    const after = await h.inject({ method: 'GET', url: `/api/org/${org.slug}/billing`, as: org.owner });
    assert.equal(after.json().enforcement.requestThrottled, false);
    // The pack's units are the period's top-up: allowance = plan + packs.
    const requests = metric(await usageOf(org), 'requests');
    assert.equal(requests?.included, PLANS.free.allowances.requests);
    assert.equal(requests?.topups, 10_000_000);
    assert.equal(requests?.allowance, PLANS.free.allowances.requests + 10_000_000);
  });

  test('over the d1 allowance: writes 403 STORAGE_READ_ONLY, reads still served; a d1 pack lifts it', async () => {
    const org = await h.org();
    const project = await activeProject(org);
    const big = await activeProject(org, org.owner, 'Big data');
    assert.equal((await query(project, { sql: 'CREATE TABLE t (v INTEGER)' })).statusCode, 200);
    // 6 GB sampled for the second project today (free allows 5 GB).
    await sql(
      `INSERT INTO project_usage_daily (project_id, day, org_id, d1_bytes) VALUES ($1, $2, $3, $4)
       ON CONFLICT (project_id, day) DO UPDATE SET d1_bytes = excluded.d1_bytes`,
      [big.id, today(), org.id, 6_000_000_000],
    );
    assert.equal((await query(project, { sql: 'INSERT INTO t VALUES (1)' })).statusCode, 200);
    await eventually(
      async () => ((await enforcementOf(org)).storageReadOnly ? true : undefined),
      'read-only',
    );
    const refused = await query(project, { sql: 'INSERT INTO t VALUES (2)' });
    assert.equal(refused.statusCode, 403, refused.body);
    assert.equal(refused.json().error.code, 'STORAGE_READ_ONLY');
    for (const body of [
      { sql: 'CREATE TABLE u (v)' },
      { sql: 'DELETE FROM t' },
      { sql: 'INSERT INTO t VALUES (3) RETURNING v' },
      { batch: [{ sql: 'SELECT 1' }, { sql: 'UPDATE t SET v = 9' }] },
    ]) {
      const response = await query(project, body);
      assert.equal(response.statusCode, 403, JSON.stringify(body));
      assert.equal(response.json().error.code, 'STORAGE_READ_ONLY');
    }
    const read = await query(project, { sql: 'SELECT v FROM t ORDER BY v' });
    assert.equal(read.statusCode, 200, read.body);
    assert.deepEqual(read.json().results[0].rows, [[1]], 'nothing refused was written');
    const billing = await h.inject({ method: 'GET', url: `/api/org/${org.slug}/billing`, as: org.owner });
    assert.equal(billing.json().enforcement.storageReadOnly, true);
    assert.equal((await usageOf(org)).enforcement.storageReadOnly, true);

    await buyPack(org, 'd1');
    await eventually(
      async () =>
        (await query(project, { sql: 'INSERT INTO t VALUES (4)' })).statusCode === 200 ? true : undefined,
      'writable again',
    );
  });
});
