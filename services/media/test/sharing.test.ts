import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { errorCode, type Harness, startHarness, type TestUser } from './support/harness.js';

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(async () => h?.close());

async function put(user: TestUser, name: string, data = 'shared bytes', visibility = 'organization') {
  const response = await h.upload(
    user,
    { name, type: 'text/plain', data: Buffer.from(data) },
    `?visibility=${visibility}`,
  );
  assert.equal(response.statusCode, 201, response.body);
  return response.json() as { id: string };
}

async function share(user: TestUser, mediaId: string, payload: Record<string, unknown> = {}) {
  const response = await h.call({
    method: 'POST',
    url: `/media/${mediaId}/share`,
    payload,
    headers: user.auth,
  });
  assert.equal(response.statusCode, 201, response.body);
  return response.json() as { id: string; token: string; share_url: string };
}

const access = (
  token: string,
  options: { user?: TestUser; query?: string; headers?: Record<string, string> } = {},
) =>
  h.call({
    method: 'GET',
    url: `/share/${token}${options.query ?? ''}`,
    headers: { ...(options.user?.auth ?? {}), ...(options.headers ?? {}) },
  });

const sql = (text: string, values: unknown[] = []) => h.booted.context.database().pool.query(text, values);

describe('shared links', () => {
  test('create returns an opaque token once; defaults to restricted', async () => {
    const owner = await h.user();
    const media = await put(owner, 'a.txt');
    const link = await share(owner, media.id);
    const body = link as unknown as Record<string, unknown>;
    assert.equal(body.visibility, 'restricted');
    assert.equal(body.has_password, false);
    assert.equal(body.expires_at, null);
    assert.equal(body.max_downloads, null);
    assert.match(link.token, /^[A-Za-z0-9_-]{40,}$/);
    assert.ok(link.share_url.endsWith(`/share/${link.token}`));
    // Only a hash is stored.
    const { rows } = await sql('SELECT token_hash FROM shared_links WHERE id = $1', [link.id]);
    assert.equal(rows[0].token_hash, createHash('sha256').update(link.token).digest('hex'));
    const withAll = await share(owner, media.id, {
      visibility: 'public',
      password: 'spring-2026',
      expires_in_hours: 168,
      max_downloads: 50,
    });
    const all = withAll as unknown as Record<string, unknown>;
    assert.equal(all.has_password, true);
    assert.equal(all.max_downloads, 50);
    assert.ok(Math.abs(Date.parse(String(all.expires_at)) - Date.now() - 168 * 3_600_000) < 60_000);
    for (const payload of [
      { max_downloads: 0 },
      { expires_in_hours: -1 },
      { visibility: 'world' },
      { password: '' },
    ]) {
      const bad = await h.call({
        method: 'POST',
        url: `/media/${media.id}/share`,
        payload,
        headers: owner.auth,
      });
      assert.equal(bad.statusCode, 400, JSON.stringify(payload));
    }
  });

  test('the creator needs download access to the media', async () => {
    const owner = await h.user();
    const colleague = await h.user({ orgId: owner.orgId });
    const outsider = await h.user();
    const orgMedia = await put(owner, 'org.txt');
    const privateMedia = await put(owner, 'priv.txt', 'x', 'private');
    await share(colleague, orgMedia.id);
    for (const [user, id] of [
      [outsider, orgMedia.id],
      [colleague, privateMedia.id],
      [owner, randomUUID()],
    ] as const) {
      const response = await h.call({
        method: 'POST',
        url: `/media/${id}/share`,
        payload: {},
        headers: user.auth,
      });
      assert.equal(response.statusCode, 404);
    }
  });

  test('public links are anonymous and stream the bytes', async () => {
    const owner = await h.user();
    const media = await put(owner, 'hello.txt', 'hello world', 'private');
    const link = await share(owner, media.id, { visibility: 'public' });
    const response = await access(link.token);
    assert.equal(response.statusCode, 200);
    assert.equal(response.body, 'hello world');
    assert.match(String(response.headers['content-disposition']), /filename="hello.txt"/);
    assert.equal(response.headers['cache-control'], 'private, no-store');
    assert.equal((await access('no-such-token')).statusCode, 404);
  });

  test('restricted links: creator only; organization links: same org only (403)', async () => {
    const owner = await h.user();
    const colleague = await h.user({ orgId: owner.orgId });
    const outsider = await h.user();
    const media = await put(owner, 'r.txt');
    const restricted = await share(owner, media.id, { visibility: 'restricted' });
    const org = await share(owner, media.id, { visibility: 'organization' });
    assert.equal((await access(restricted.token, { user: owner })).statusCode, 200);
    for (const user of [undefined, colleague, outsider]) {
      const response = await access(restricted.token, { user });
      assert.equal(response.statusCode, 403);
      assert.equal(errorCode(response), 'shared_link_forbidden');
    }
    assert.equal((await access(org.token, { user: colleague })).statusCode, 200);
    assert.equal((await access(org.token, { user: outsider })).statusCode, 403);
    assert.equal((await access(org.token)).statusCode, 403);
    // A token that fails verification is refused outright.
    assert.equal((await access(org.token, { headers: { authorization: 'Bearer junk' } })).statusCode, 401);
  });

  test('password: missing or wrong is 401; right (query or header) streams', async () => {
    const owner = await h.user();
    const media = await put(owner, 'p.txt', 'secret');
    const link = await share(owner, media.id, { visibility: 'public', password: 'spring-2026' });
    const { rows } = await sql('SELECT password_hash FROM shared_links WHERE id = $1', [link.id]);
    assert.match(rows[0].password_hash, /^\$2[aby]\$10\$/);
    const missing = await access(link.token);
    assert.equal(missing.statusCode, 401);
    assert.equal(errorCode(missing), 'password_required');
    const wrong = await access(link.token, { query: '?password=autumn' });
    assert.equal(wrong.statusCode, 401);
    assert.equal(errorCode(wrong), 'invalid_password');
    assert.equal((await access(link.token, { query: '?password=spring-2026' })).body, 'secret');
    assert.equal(
      (await access(link.token, { headers: { 'x-share-password': 'spring-2026' } })).body,
      'secret',
    );
  });

  test('repeated wrong passwords lock the link (429 with Retry-After), even for the right one', async () => {
    const owner = await h.user();
    const media = await put(owner, 'guarded.txt');
    const link = await share(owner, media.id, { visibility: 'public', password: 'right' });
    for (let attempt = 1; attempt < 10; attempt++) {
      assert.equal((await access(link.token, { query: `?password=wrong-${attempt}` })).statusCode, 401);
    }
    const locked = await access(link.token, { query: '?password=wrong-10' });
    assert.equal(locked.statusCode, 429);
    assert.equal(errorCode(locked), 'too_many_attempts');
    assert.ok(Number(locked.headers['retry-after']) > 0);
    assert.equal((await access(link.token, { query: '?password=right' })).statusCode, 429);
    // Other links are unaffected.
    const other = await share(owner, media.id, { visibility: 'public', password: 'right' });
    assert.equal((await access(other.token, { query: '?password=right' })).statusCode, 200);
  });

  test('legacy sha-256 password hashes are upgraded to bcrypt on first successful access', async () => {
    const owner = await h.user();
    const media = await put(owner, 'legacy.txt', 'old');
    const link = await share(owner, media.id, { visibility: 'public' });
    const legacy = createHash('sha256').update('legacy-pass').digest('hex');
    await sql('UPDATE shared_links SET password_hash = $2 WHERE id = $1', [link.id, legacy]);
    assert.equal((await access(link.token, { query: '?password=nope' })).statusCode, 401);
    assert.equal(
      (await sql('SELECT password_hash FROM shared_links WHERE id = $1', [link.id])).rows[0].password_hash,
      legacy,
    );
    assert.equal((await access(link.token, { query: '?password=legacy-pass' })).statusCode, 200);
    const upgraded = (await sql('SELECT password_hash FROM shared_links WHERE id = $1', [link.id])).rows[0]
      .password_hash;
    assert.match(upgraded, /^\$2/);
    assert.equal((await access(link.token, { query: '?password=legacy-pass' })).statusCode, 200);
    assert.equal((await access(link.token, { query: '?password=nope' })).statusCode, 401);
  });

  test('expired links are 410', async () => {
    const owner = await h.user();
    const media = await put(owner, 'e.txt');
    const link = await share(owner, media.id, { visibility: 'public', expires_in_hours: 1 });
    assert.equal((await access(link.token)).statusCode, 200);
    await sql("UPDATE shared_links SET expires_at = now() - interval '1 second' WHERE id = $1", [link.id]);
    const response = await access(link.token);
    assert.equal(response.statusCode, 410);
    assert.equal(errorCode(response), 'shared_link_expired');
  });

  test('the download cap is 429 once reached', async () => {
    const owner = await h.user();
    const media = await put(owner, 'c.txt');
    const link = await share(owner, media.id, { visibility: 'public', max_downloads: 2 });
    assert.equal((await access(link.token)).statusCode, 200);
    assert.equal((await access(link.token)).statusCode, 200);
    const third = await access(link.token);
    assert.equal(third.statusCode, 429);
    assert.equal(errorCode(third), 'download_limit_reached');
  });

  test('concurrent downloads cannot exceed the cap', async () => {
    const owner = await h.user();
    const media = await put(owner, 'race.txt');
    const link = await share(owner, media.id, { visibility: 'public', max_downloads: 3 });
    const responses = await Promise.all(Array.from({ length: 12 }, () => access(link.token)));
    const ok = responses.filter((response) => response.statusCode === 200).length;
    const limited = responses.filter((response) => response.statusCode === 429).length;
    assert.equal(ok, 3);
    assert.equal(limited, 9);
    const { rows } = await sql('SELECT download_count FROM shared_links WHERE id = $1', [link.id]);
    assert.equal(rows[0].download_count, 3);
  });

  test('list mine (paginated, no tokens), delete → 404 on access; deleting the media kills its links', async () => {
    const owner = await h.user();
    const other = await h.user({ orgId: owner.orgId });
    const media = await put(owner, 'l.txt');
    const first = await share(owner, media.id, { visibility: 'public' });
    const second = await share(owner, media.id, { visibility: 'public' });
    await share(other, media.id);
    const list = await h.call({ method: 'GET', url: '/shared-links?per_page=1', headers: owner.auth });
    assert.equal(list.statusCode, 200);
    assert.equal(list.json().total, 2);
    assert.equal(list.json().total_pages, 2);
    assert.equal(list.json().items[0].id, second.id);
    assert.equal(list.json().items[0].token, undefined);
    // The same account in another organization is another tenant.
    const elsewhere = await h.user({ sub: owner.sub });
    assert.equal(
      (await h.call({ method: 'GET', url: '/shared-links', headers: elsewhere.auth })).json().total,
      0,
    );
    assert.equal(
      (await h.call({ method: 'DELETE', url: `/shared-links/${first.id}`, headers: elsewhere.auth }))
        .statusCode,
      404,
    );
    assert.equal(
      (await h.call({ method: 'DELETE', url: `/shared-links/${first.id}`, headers: other.auth })).statusCode,
      404,
    );
    const deleted = await h.call({ method: 'DELETE', url: `/shared-links/${first.id}`, headers: owner.auth });
    assert.equal(deleted.statusCode, 200);
    assert.equal((await access(first.token)).statusCode, 404);
    assert.equal(
      (await h.call({ method: 'DELETE', url: `/shared-links/${first.id}`, headers: owner.auth })).statusCode,
      404,
    );
    assert.equal((await access(second.token)).statusCode, 200);
    await h.call({ method: 'DELETE', url: `/media/${media.id}`, headers: owner.auth });
    assert.equal((await access(second.token)).statusCode, 404);
  });

  test('changing media visibility does not affect existing links', async () => {
    const owner = await h.user();
    const media = await put(owner, 'v.txt', 'v', 'public');
    const link = await share(owner, media.id, { visibility: 'public' });
    await h.call({
      method: 'PATCH',
      url: `/media/${media.id}/visibility`,
      payload: { visibility: 'private' },
      headers: owner.auth,
    });
    assert.equal((await access(link.token)).statusCode, 200);
  });
});

describe('shared links follow access', () => {
  const setVisibility = (user: TestUser, mediaId: string, visibility: string) =>
    h.call({
      method: 'PATCH',
      url: `/media/${mediaId}/visibility`,
      payload: { visibility },
      headers: user.auth,
    });

  test("a member's link lives only while the member can read the media; the owner's own link is unaffected", async () => {
    const owner = await h.user();
    const member = await h.user({ orgId: owner.orgId });
    const media = await put(owner, 'team.txt', 'team bytes', 'organization');
    const membersLink = await share(member, media.id, { visibility: 'public' });
    const ownersLink = await share(owner, media.id, { visibility: 'public' });
    assert.equal((await access(membersLink.token)).statusCode, 200);
    // The owner withdraws the organization's read access: the member's link goes with it.
    assert.equal((await setVisibility(owner, media.id, 'private')).statusCode, 200);
    const dead = await access(membersLink.token);
    assert.equal(dead.statusCode, 404);
    assert.equal(errorCode(dead), 'shared_link_not_found');
    assert.equal((await access(ownersLink.token)).statusCode, 200, 'the owner can still read it');
    // Access is re-checked on every request: given back, the link works again.
    assert.equal((await setVisibility(owner, media.id, 'organization')).statusCode, 200);
    assert.equal((await access(membersLink.token)).statusCode, 200);
  });

  test('a link made for one organization does not follow its creator into another', async () => {
    const owner = await h.user();
    const media = await put(owner, 'scoped.txt', 'scoped', 'private');
    const link = await share(owner, media.id, { visibility: 'restricted' });
    assert.equal((await access(link.token, { user: owner })).statusCode, 200);
    // Same account, token bound to another organization: not the creator as the link knows them.
    const elsewhere = await h.user({ sub: owner.sub });
    assert.equal((await access(link.token, { user: elsewhere })).statusCode, 403);
  });

  test('the link rules still hold on top: password, expiry and cap are checked on every access', async () => {
    const owner = await h.user();
    const media = await put(owner, 'rules.txt', 'rules', 'organization');
    const link = await share(owner, media.id, { visibility: 'public', password: 'pw-1', max_downloads: 1 });
    assert.equal((await access(link.token)).statusCode, 401);
    assert.equal((await access(link.token, { headers: { 'x-share-password': 'pw-1' } })).statusCode, 200);
    assert.equal((await access(link.token, { headers: { 'x-share-password': 'pw-1' } })).statusCode, 429);
    await sql(`UPDATE shared_links SET expires_at = now() - interval '1 second' WHERE id = $1`, [link.id]);
    assert.equal((await access(link.token, { headers: { 'x-share-password': 'pw-1' } })).statusCode, 410);
  });

  test('the owner lists every link to their media, whoever made it, and can revoke any of them', async () => {
    const owner = await h.user();
    const member = await h.user({ orgId: owner.orgId });
    const bystander = await h.user({ orgId: owner.orgId });
    const media = await put(owner, 'owned.txt', 'owned', 'organization');
    const membersLink = await share(member, media.id, { visibility: 'public' });
    const ownersLink = await share(owner, media.id, { visibility: 'restricted' });
    const listed = await h.booted.app.inject({
      method: 'GET',
      url: `/media/${media.id}/shared-links`,
      headers: owner.auth,
    });
    assert.equal(listed.statusCode, 200, listed.body);
    const body = listed.json();
    assert.equal(body.total, 2);
    assert.deepEqual(
      body.items.map((item: { id: string; created_by: string }) => [item.id, item.created_by]).sort(),
      [
        [membersLink.id, member.sub],
        [ownersLink.id, owner.sub],
      ].sort(),
    );
    assert.ok(body.items.every((item: Record<string, unknown>) => item.token === undefined));
    // Only the owner sees this list: a member (even the creator of one link) and other tenants get 404.
    for (const user of [member, bystander, await h.user(), await h.user({ sub: owner.sub })]) {
      const refused = await h.booted.app.inject({
        method: 'GET',
        url: `/media/${media.id}/shared-links`,
        headers: user.auth,
      });
      assert.equal(refused.statusCode, 404);
      assert.equal(errorCode(refused), 'media_not_found');
    }
    // A bystander cannot revoke the member's link; the owner can.
    const bystanderDelete = await h.call({
      method: 'DELETE',
      url: `/shared-links/${membersLink.id}`,
      headers: bystander.auth,
    });
    assert.equal(bystanderDelete.statusCode, 404);
    assert.equal((await access(membersLink.token)).statusCode, 200);
    const ownerDelete = await h.call({
      method: 'DELETE',
      url: `/shared-links/${membersLink.id}`,
      headers: owner.auth,
    });
    assert.equal(ownerDelete.statusCode, 200, ownerDelete.body);
    assert.equal((await access(membersLink.token)).statusCode, 404);
    // The creator still sees only the links they made, none of them gone behind their back silently.
    const mine = await h.call({ method: 'GET', url: '/shared-links', headers: member.auth });
    assert.equal(mine.json().total, 0);
  });
});

describe('starred', () => {
  test('star is idempotent with notes; list newest-first; unstar idempotent; toggle flips; bulk check', async () => {
    const user = await h.user();
    const a = await put(user, 'a.txt');
    const b = await put(user, 'b.txt');
    const star = await h.call({
      method: 'POST',
      url: `/media/${a.id}/star`,
      payload: { notes: 'Reference for the launch deck' },
      headers: user.auth,
    });
    assert.equal(star.statusCode, 200);
    assert.equal(star.json().is_starred, true);
    assert.equal(star.json().notes, 'Reference for the launch deck');
    const again = await h.call({
      method: 'POST',
      url: `/media/${a.id}/star`,
      payload: { notes: 'updated' },
      headers: user.auth,
    });
    assert.equal(again.json().notes, 'updated');
    assert.equal(
      (await h.call({ method: 'POST', url: `/media/${b.id}/star`, headers: user.auth })).statusCode,
      200,
    );
    const list = await h.call({ method: 'GET', url: '/starred', headers: user.auth });
    assert.equal(list.statusCode, 200);
    assert.equal(list.json().total, 2);
    assert.deepEqual(
      list.json().items.map((item: { id: string }) => item.id),
      [b.id, a.id],
    );
    assert.equal(list.json().items[1].notes, 'updated');
    assert.ok(list.json().items[1].starred_at);

    const check = await h.call({
      method: 'POST',
      url: '/starred/check',
      payload: { media_ids: [a.id, b.id, randomUUID()] },
      headers: user.auth,
    });
    assert.deepEqual(
      check.json().items.map((item: { is_starred: boolean }) => item.is_starred),
      [true, true, false],
    );

    assert.equal(
      (await h.call({ method: 'DELETE', url: `/media/${a.id}/star`, headers: user.auth })).statusCode,
      200,
    );
    assert.equal(
      (await h.call({ method: 'DELETE', url: `/media/${a.id}/star`, headers: user.auth })).statusCode,
      200,
    );
    const toggled = await h.call({ method: 'POST', url: `/media/${a.id}/toggle-star`, headers: user.auth });
    assert.equal(toggled.json().is_starred, true);
    const untoggled = await h.call({ method: 'POST', url: `/media/${a.id}/toggle-star`, headers: user.auth });
    assert.equal(untoggled.json().is_starred, false);

    for (const payload of [
      { media_ids: ['nope'] },
      { media_ids: Array.from({ length: 101 }, () => randomUUID()) },
      {},
    ]) {
      const bad = await h.call({ method: 'POST', url: '/starred/check', payload, headers: user.auth });
      assert.equal(bad.statusCode, 400);
    }
  });

  test('media the caller cannot read cannot be starred, and leave the list when access goes', async () => {
    const owner = await h.user();
    const colleague = await h.user({ orgId: owner.orgId });
    const outsider = await h.user();
    const media = await put(owner, 'team.txt');
    assert.equal(
      (await h.call({ method: 'POST', url: `/media/${media.id}/star`, headers: outsider.auth })).statusCode,
      404,
    );
    assert.equal(
      (await h.call({ method: 'POST', url: `/media/${media.id}/toggle-star`, headers: outsider.auth }))
        .statusCode,
      404,
    );
    assert.equal(
      (await h.call({ method: 'POST', url: `/media/${media.id}/star`, headers: colleague.auth })).statusCode,
      200,
    );
    assert.equal((await h.call({ method: 'GET', url: '/starred', headers: colleague.auth })).json().total, 1);
    await h.call({
      method: 'PATCH',
      url: `/media/${media.id}/visibility`,
      payload: { visibility: 'private' },
      headers: owner.auth,
    });
    assert.equal((await h.call({ method: 'GET', url: '/starred', headers: colleague.auth })).json().total, 0);
  });

  test('concurrent toggles leave a consistent state', async () => {
    const user = await h.user();
    const media = await put(user, 't.txt');
    const responses = await Promise.all(
      Array.from({ length: 6 }, () =>
        h.call({ method: 'POST', url: `/media/${media.id}/toggle-star`, headers: user.auth }),
      ),
    );
    for (const response of responses) assert.equal(response.statusCode, 200);
    const { rows } = await sql('SELECT count(*)::int AS n FROM starred_media WHERE media_id = $1', [
      media.id,
    ]);
    assert.ok(rows[0].n <= 1);
  });
});

describe('recent', () => {
  test('track upserts, list is newest-first with a server cap, clear wipes only history', async () => {
    const user = await h.user();
    const a = await put(user, 'a.txt');
    const b = await put(user, 'b.txt');
    const c = await put(user, 'c.txt');
    for (const [media, type] of [
      [a, 'view'],
      [b, 'download'],
      [c, 'preview'],
      [a, 'download'],
    ] as const) {
      const response = await h.call({
        method: 'POST',
        url: `/media/${media.id}/track`,
        payload: { access_type: type },
        headers: user.auth,
      });
      assert.equal(response.statusCode, 200);
      assert.equal(response.json().access_type, type);
    }
    const list = await h.call({ method: 'GET', url: '/recent', headers: user.auth });
    assert.equal(list.statusCode, 200);
    assert.deepEqual(
      list.json().items.map((item: { id: string }) => item.id),
      [a.id, c.id, b.id],
    );
    assert.equal(list.json().items[0].access_type, 'download');
    const limited = await h.call({ method: 'GET', url: '/recent?limit=2', headers: user.auth });
    assert.equal(limited.json().items.length, 2);
    assert.equal(
      (await h.call({ method: 'GET', url: '/recent?limit=100000', headers: user.auth })).json().limit,
      100,
    );
    assert.equal(
      (await h.call({ method: 'GET', url: '/recent?limit=0', headers: user.auth })).statusCode,
      400,
    );
    const noBody = await h.call({ method: 'POST', url: `/media/${b.id}/track`, headers: user.auth });
    assert.equal(noBody.json().access_type, 'view');

    const outsider = await h.user();
    assert.equal(
      (await h.call({ method: 'POST', url: `/media/${a.id}/track`, payload: {}, headers: outsider.auth }))
        .statusCode,
      404,
    );
    assert.equal(
      (await h.call({ method: 'GET', url: '/recent', headers: outsider.auth })).json().items.length,
      0,
    );

    const cleared = await h.call({ method: 'DELETE', url: '/recent', headers: user.auth });
    assert.equal(cleared.statusCode, 200);
    assert.equal(cleared.json().deleted, 3);
    assert.equal(
      (await h.call({ method: 'GET', url: '/recent', headers: user.auth })).json().items.length,
      0,
    );
    assert.equal((await h.call({ method: 'GET', url: '/media', headers: user.auth })).json().total, 3);
  });
});
