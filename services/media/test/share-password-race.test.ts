import assert from 'node:assert/strict';
import { after, before, mock, test } from 'node:test';
import bcrypt from 'bcryptjs';
import { errorCode, type Harness, startHarness } from './support/harness.js';

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(async () => h?.close());

test('200 parallel wrong share-link passwords: at most 10 reach bcrypt, the rest are 429', async () => {
  const owner = await h.user();
  const uploaded = await h.upload(
    owner,
    { name: 'race.txt', type: 'text/plain', data: Buffer.from('guarded') },
    '?visibility=organization',
  );
  assert.equal(uploaded.statusCode, 201, uploaded.body);
  const shared = await h.call({
    method: 'POST',
    url: `/media/${uploaded.json().id}/share`,
    payload: { visibility: 'public', password: 'the-right-one' },
    headers: owner.auth,
  });
  assert.equal(shared.statusCode, 201, shared.body);
  const { token } = shared.json() as { token: string };

  // The service checks link passwords with bcryptjs' compare: count the calls that reach it.
  const compare = mock.method(bcrypt, 'compare');
  try {
    const responses = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        h.booted.app.inject({ method: 'GET', url: `/share/${token}?password=wrong-${i}` }),
      ),
    );
    const hashes = compare.mock.callCount();
    const statuses = responses.map((response) => response.statusCode);
    assert.ok(hashes >= 1 && hashes <= 10, `bcrypt.compare calls: ${hashes}`);
    // Each guess that reached bcrypt is a 401, except the one whose failure locked the link (429).
    const wrong = statuses.filter((status) => status === 401).length;
    assert.ok(wrong === hashes || wrong === hashes - 1, `401s: ${wrong}, hashes: ${hashes}`);
    assert.equal(statuses.filter((status) => status === 429).length, 200 - wrong);
    assert.equal(errorCode(responses.find((response) => response.statusCode === 429)!), 'too_many_attempts');

    // Locked: the right password is refused too, and never reaches bcrypt.
    compare.mock.resetCalls();
    const locked = await h.call({ method: 'GET', url: `/share/${token}?password=the-right-one` });
    assert.equal(locked.statusCode, 429);
    assert.ok(Number(locked.headers['retry-after']) > 0);
    assert.equal(compare.mock.callCount(), 0);
  } finally {
    compare.mock.restore();
  }
});
