import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BacklexHarness, type TestOrg, type TestUser } from './support/backlex.js';

let h: BacklexHarness;
let owner: TestUser;
let org: TestOrg;
before(async () => {
  h = await BacklexHarness.boot();
  owner = await h.user();
  org = await h.org(owner);
  for (const name of ['First rename', 'Second rename']) {
    const response = await h.inject({
      method: 'PATCH',
      url: `/api/org/${org.slug}`,
      as: owner,
      payload: { name },
    });
    assert.equal(response.statusCode, 200, response.body);
  }
});
after(async () => h?.close());

const audit = (query = '', as?: TestUser) =>
  h.inject({ method: 'GET', url: `/api/org/${org.slug}/audit${query}`, as: as ?? owner });

describe('GET /org/{slug}/audit', () => {
  test('each mutation wrote one event in its transaction, newest first, with actor, target and ip', async () => {
    const response = await audit();
    assert.equal(response.statusCode, 200, response.body);
    const { events } = response.json();
    assert.deepEqual(
      events.map((event: { action: string }) => event.action),
      ['org.updated', 'org.updated', 'org.created'],
    );
    const [latest] = events;
    assert.deepEqual(latest.actor, { type: 'user', id: latest.actor.id, label: owner.email });
    assert.deepEqual(latest.target, { type: 'org', id: org.id });
    assert.equal(latest.ip, owner.ip);
    assert.deepEqual(latest.data, { fields: ['name'] });
  });

  test('a refused mutation writes nothing', async () => {
    const refused = await h.inject({
      method: 'PATCH',
      url: `/api/org/${org.slug}`,
      as: owner,
      payload: { ipAllowlist: ['203.0.113.0/24'] },
    });
    assert.equal(refused.statusCode, 409);
    assert.equal((await audit()).json().events.length, 3);
  });

  test('action exact or prefix.*, from/to, limit and offset', async () => {
    assert.equal((await audit('?action=org.created')).json().events.length, 1);
    assert.equal((await audit('?action=org.*')).json().events.length, 3);
    assert.equal((await audit('?action=member.*')).json().events.length, 0);
    assert.equal((await audit('?action=org')).json().events.length, 0);
    const all = (await audit()).json().events;
    const page = (await audit('?limit=1&offset=1')).json().events;
    assert.deepEqual(
      page.map((event: { id: string }) => event.id),
      [all[1].id],
    );
    const future = new Date(Date.now() + 60_000).toISOString();
    assert.equal((await audit(`?from=${encodeURIComponent(future)}`)).json().events.length, 0);
    assert.equal((await audit(`?to=${encodeURIComponent(future)}`)).json().events.length, 3);
    assert.equal((await audit('?to=2000-01-01')).json().events.length, 0);
  });

  test('limit outside 1–200, a non-integer offset, a bad date or action are 422 naming the parameter', async () => {
    for (const [query, name] of [
      ['?limit=0', 'limit'],
      ['?limit=201', 'limit'],
      ['?limit=ten', 'limit'],
      ['?offset=-1', 'offset'],
      ['?from=yesterday', 'from'],
      ['?to=2026-13-45', 'to'],
      ['?action=DROP%20TABLE', 'action'],
    ] as const) {
      const response = await audit(query);
      assert.equal(response.statusCode, 422, `${query}: ${response.body}`);
      assert.equal(response.json().error.details[0].path, name, query);
      assert.equal(response.json().error.details[0].location, 'querystring', query);
    }
  });

  test('the database refuses to change or remove an audit event', async () => {
    const pool = h.service.booted.context.database().pool;
    for (const statement of [
      'UPDATE audit_event SET action = $$org.forged$$ WHERE organization_id = $1',
      'DELETE FROM audit_event WHERE organization_id = $1',
    ]) {
      await assert.rejects(pool.query(statement, [org.id]), /append-only/);
    }
    await assert.rejects(pool.query('TRUNCATE audit_event'), /append-only/);
    assert.equal((await audit()).json().events.length, 3);
  });

  test('a stranger gets 404', async () => {
    const stranger = await h.user();
    assert.equal((await audit('', stranger)).statusCode, 404);
  });
});
