import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BacklexHarness, type TestUser } from './support/backlex.js';

let h: BacklexHarness;
let user: TestUser;
before(async () => {
  h = await BacklexHarness.boot();
  user = await h.user({ name: 'Ada Lovelace' });
});
after(async () => h?.close());

describe('/account', () => {
  test('GET returns the profile: verified email, no title, timezone or preferences yet', async () => {
    const response = await h.inject({ method: 'GET', url: '/api/account', as: user });
    assert.equal(response.statusCode, 200, response.body);
    const { account } = response.json();
    assert.equal(account.email, user.email);
    assert.equal(account.name, 'Ada Lovelace');
    assert.equal(account.emailVerified, true);
    assert.equal(account.title, null);
    assert.equal(account.timezone, null);
    assert.deepEqual(account.preferences, {});
  });

  test('PATCH sets name, title and an IANA timezone; an unknown zone or an offset is 422', async () => {
    const ok = await h.inject({
      method: 'PATCH',
      url: '/api/account',
      as: user,
      payload: { name: 'Ada King', title: 'Countess', timezone: 'Europe/Istanbul' },
    });
    assert.equal(ok.statusCode, 200, ok.body);
    assert.deepEqual(ok.json(), { ok: true });
    for (const timezone of ['Mars/Olympus', '+03:00', 'EST5EDT; DROP', '']) {
      const bad = await h.inject({ method: 'PATCH', url: '/api/account', as: user, payload: { timezone } });
      assert.equal(bad.statusCode, 422, `${timezone}: ${bad.body}`);
      assert.equal(bad.json().error.details[0].path, 'timezone');
    }
    const { account } = (await h.inject({ method: 'GET', url: '/api/account', as: user })).json();
    assert.equal(account.name, 'Ada King');
    assert.equal(account.title, 'Countess');
    assert.equal(account.timezone, 'Europe/Istanbul');
  });

  test('preferences merge shallowly; null deletes a key; more than 16 KB merged is 422 and changes nothing', async () => {
    const patch = (preferences: Record<string, unknown>) =>
      h.inject({ method: 'PATCH', url: '/api/account', as: user, payload: { preferences } });
    assert.equal((await patch({ theme: 'dark', sidebar: { open: true }, lang: 'tr' })).statusCode, 200);
    assert.equal((await patch({ sidebar: { width: 240 }, lang: null })).statusCode, 200);
    let { account } = (await h.inject({ method: 'GET', url: '/api/account', as: user })).json();
    assert.deepEqual(account.preferences, { theme: 'dark', sidebar: { width: 240 } });
    const first = await patch({ blob: 'x'.repeat(9000) });
    assert.equal(first.statusCode, 200, first.body);
    const tooMuch = await patch({ other: 'y'.repeat(9000) });
    assert.equal(tooMuch.statusCode, 422, tooMuch.body);
    assert.equal(tooMuch.json().error.details[0].path, 'preferences');
    ({ account } = (await h.inject({ method: 'GET', url: '/api/account', as: user })).json());
    assert.deepEqual(Object.keys(account.preferences).sort(), ['blob', 'sidebar', 'theme']);
  });

  test('schema failures are 422 naming the field; no cookie is 401', async () => {
    const bad = await h.inject({
      method: 'PATCH',
      url: '/api/account',
      as: user,
      payload: { title: 'x'.repeat(121) },
    });
    assert.equal(bad.statusCode, 422, bad.body);
    assert.equal(bad.json().error.details[0].path, 'title');
    const anonymous = await h.inject({ method: 'GET', url: '/api/account' });
    assert.equal(anonymous.statusCode, 401);
  });
});
