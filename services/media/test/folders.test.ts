import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { jpegImage } from './support/fixtures.js';
import { errorCode, type Harness, startHarness, type TestUser } from './support/harness.js';

let h: Harness;
before(async () => {
  h = await startHarness({ eagerMediumVariant: true });
});
after(async () => h?.close());

async function mkdir(user: TestUser, name: string, parentId?: string, status = 201) {
  const response = await h.call({
    method: 'POST',
    url: '/folders',
    payload: parentId ? { name, parent_id: parentId } : { name },
    headers: user.auth,
  });
  assert.equal(response.statusCode, status, response.body);
  return response.json();
}

describe('folders', () => {
  test('create: roots at depth 0, children inherit depth and path', async () => {
    const user = await h.user();
    const docs = await mkdir(user, 'Documents');
    assert.equal(docs.parent_id, null);
    assert.equal(docs.depth, 0);
    assert.equal(docs.path, 'Documents');
    assert.equal(docs.visibility, 'private');
    const photos = await h.call({
      method: 'POST',
      url: '/folders',
      payload: { name: 'Vacation Photos', parent_id: docs.id, visibility: 'organization' },
      headers: user.auth,
    });
    assert.equal(photos.statusCode, 201);
    assert.equal(photos.json().depth, 1);
    assert.equal(photos.json().path, 'Documents/Vacation Photos');
    assert.equal(photos.json().visibility, 'organization');
  });

  test('names are validated; siblings must be unique (409), cousins may share names', async () => {
    const user = await h.user();
    for (const name of ['', 'a/b', 'tab\there', '.', '..', 'x'.repeat(256)]) {
      const response = await h.call({
        method: 'POST',
        url: '/folders',
        payload: { name },
        headers: user.auth,
      });
      assert.equal(response.statusCode, 400, JSON.stringify(name));
    }
    const a = await mkdir(user, 'A');
    const b = await mkdir(user, 'B');
    await mkdir(user, 'Same', a.id);
    await mkdir(user, 'Same', b.id);
    const dup = await h.call({
      method: 'POST',
      url: '/folders',
      payload: { name: 'Same', parent_id: a.id },
      headers: user.auth,
    });
    assert.equal(dup.statusCode, 409);
    assert.equal(errorCode(dup), 'folder_name_conflict');
    const dupRoot = await h.call({
      method: 'POST',
      url: '/folders',
      payload: { name: 'A' },
      headers: user.auth,
    });
    assert.equal(dupRoot.statusCode, 409);
    // Another user's tree is independent.
    await mkdir(await h.user(), 'A');
  });

  test('concurrent creates of the same sibling: one wins, the rest get 409', async () => {
    const user = await h.user();
    const responses = await Promise.all(
      Array.from({ length: 5 }, () =>
        h.call({ method: 'POST', url: '/folders', payload: { name: 'Race' }, headers: user.auth }),
      ),
    );
    assert.deepEqual(responses.map((r) => r.statusCode).sort(), [201, 409, 409, 409, 409]);
  });

  test('depth is capped at 100', async () => {
    const user = await h.user();
    let parent = await mkdir(user, 'd0');
    for (let depth = 1; depth <= 100; depth++) parent = await mkdir(user, `d${depth}`, parent.id);
    assert.equal(parent.depth, 100);
    const response = await h.call({
      method: 'POST',
      url: '/folders',
      payload: { name: 'too-deep', parent_id: parent.id },
      headers: user.auth,
    });
    assert.equal(response.statusCode, 400);
    assert.equal(errorCode(response), 'folder_too_deep');
  });

  test('a parent of another owner or tenant is not found', async () => {
    const owner = await h.user();
    const root = await mkdir(owner, 'Mine');
    const other = await h.user();
    const response = await h.call({
      method: 'POST',
      url: '/folders',
      payload: { name: 'x', parent_id: root.id },
      headers: other.auth,
    });
    assert.equal(response.statusCode, 404);
    assert.equal(errorCode(response), 'folder_not_found');
    const sameUserOtherOrg = await h.user({ sub: owner.sub });
    const cross = await h.call({
      method: 'POST',
      url: '/folders',
      payload: { name: 'x', parent_id: root.id },
      headers: sameUserOtherOrg.auth,
    });
    assert.equal(cross.statusCode, 404);
  });

  test('rename rewrites every descendant’s path in the same transaction; roots cannot be renamed', async () => {
    const user = await h.user();
    const root = await mkdir(user, 'Root');
    const docs = await mkdir(user, 'Docs', root.id);
    const y2025 = await mkdir(user, '2025', docs.id);
    const q1 = await mkdir(user, 'Q1', y2025.id);
    const renamed = await h.call({
      method: 'PATCH',
      url: `/folders/${docs.id}`,
      payload: { name: 'Archive 2026' },
      headers: user.auth,
    });
    assert.equal(renamed.statusCode, 200);
    assert.equal(renamed.json().path, 'Root/Archive 2026');
    const list = await h.call({
      method: 'GET',
      url: `/folders?parent_id=${root.id}&recursive=true`,
      headers: user.auth,
    });
    const paths = Object.fromEntries(
      list.json().items.map((f: { id: string; path: string }) => [f.id, f.path]),
    );
    assert.equal(paths[y2025.id], 'Root/Archive 2026/2025');
    assert.equal(paths[q1.id], 'Root/Archive 2026/2025/Q1');
    const rootRename = await h.call({
      method: 'PATCH',
      url: `/folders/${root.id}`,
      payload: { name: 'New' },
      headers: user.auth,
    });
    assert.equal(rootRename.statusCode, 400);
    assert.equal(errorCode(rootRename), 'root_folder_immutable');
    await mkdir(user, 'Taken', root.id);
    const clash = await h.call({
      method: 'PATCH',
      url: `/folders/${docs.id}`,
      payload: { name: 'Taken' },
      headers: user.auth,
    });
    assert.equal(clash.statusCode, 409);
    const foreign = await h.call({
      method: 'PATCH',
      url: `/folders/${docs.id}`,
      payload: { name: 'Mine' },
      headers: (await h.user()).auth,
    });
    assert.equal(foreign.statusCode, 404);
  });

  test('move: parent_id reparents the subtree; cycles, foreign parents and depth overflow are refused', async () => {
    const user = await h.user();
    const a = await mkdir(user, 'A');
    const b = await mkdir(user, 'B');
    const a1 = await mkdir(user, 'A1', a.id);
    const a2 = await mkdir(user, 'A2', a1.id);
    const moved = await h.call({
      method: 'PATCH',
      url: `/folders/${a1.id}`,
      payload: { parent_id: b.id },
      headers: user.auth,
    });
    assert.equal(moved.statusCode, 200);
    assert.equal(moved.json().path, 'B/A1');
    assert.equal(moved.json().depth, 1);
    const list = (
      await h.call({ method: 'GET', url: `/folders?parent_id=${b.id}&recursive=true`, headers: user.auth })
    ).json();
    assert.deepEqual(
      list.items.map((f: { id: string; path: string; depth: number }) => [f.id, f.path, f.depth]),
      [
        [a1.id, 'B/A1', 1],
        [a2.id, 'B/A1/A2', 2],
      ],
    );
    const toTop = await h.call({
      method: 'PATCH',
      url: `/folders/${a2.id}`,
      payload: { parent_id: null },
      headers: user.auth,
    });
    assert.equal(toTop.json().path, 'A2');
    assert.equal(toTop.json().depth, 0);
    for (const [id, parent] of [
      [b.id, b.id],
      [b.id, a1.id],
    ]) {
      const cycle = await h.call({
        method: 'PATCH',
        url: `/folders/${id}`,
        payload: { parent_id: parent },
        headers: user.auth,
      });
      assert.equal(cycle.statusCode, 400);
      assert.equal(errorCode(cycle), 'folder_cycle');
    }
    const foreignParent = await mkdir(await h.user(), 'Theirs');
    const cross = await h.call({
      method: 'PATCH',
      url: `/folders/${a1.id}`,
      payload: { parent_id: foreignParent.id },
      headers: user.auth,
    });
    assert.equal(cross.statusCode, 404);
    await mkdir(user, 'A1', a.id);
    const clash = await h.call({
      method: 'PATCH',
      url: `/folders/${a1.id}`,
      payload: { parent_id: a.id },
      headers: user.auth,
    });
    assert.equal(clash.statusCode, 409);
    const empty = await h.call({
      method: 'PATCH',
      url: `/folders/${a1.id}`,
      payload: {},
      headers: user.auth,
    });
    assert.equal(empty.statusCode, 400);
    // A chain of 60 moved under a chain of 60 would reach depth 120.
    let deep = await mkdir(user, 'deep0');
    for (let depth = 1; depth < 60; depth++) deep = await mkdir(user, `deep${depth}`, deep.id);
    let tall = await mkdir(user, 'tall0');
    const tallRoot = tall;
    for (let depth = 1; depth < 60; depth++) tall = await mkdir(user, `tall${depth}`, tall.id);
    const tooDeep = await h.call({
      method: 'PATCH',
      url: `/folders/${tallRoot.id}`,
      payload: { parent_id: deep.id },
      headers: user.auth,
    });
    assert.equal(tooDeep.statusCode, 400);
    assert.equal(errorCode(tooDeep), 'folder_too_deep');
    assert.equal(
      (await h.call({ method: 'GET', url: `/folders?parent_id=${tallRoot.id}`, headers: user.auth })).json()
        .items[0].path,
      'tall0/tall1',
    );
  });

  test('crossing concurrent moves cannot create a cycle', async () => {
    const user = await h.user();
    for (let round = 0; round < 5; round++) {
      const x = await mkdir(user, `X${round}`);
      const y = await mkdir(user, `Y${round}`);
      const [first, second] = await Promise.all([
        h.call({
          method: 'PATCH',
          url: `/folders/${x.id}`,
          payload: { parent_id: y.id },
          headers: user.auth,
        }),
        h.call({
          method: 'PATCH',
          url: `/folders/${y.id}`,
          payload: { parent_id: x.id },
          headers: user.auth,
        }),
      ]);
      assert.deepEqual([first.statusCode, second.statusCode].sort(), [200, 400]);
    }
  });

  test('list: roots by default, children of parent_id, recursive subtree, sort and order', async () => {
    const user = await h.user();
    const b = await mkdir(user, 'b');
    const a = await mkdir(user, 'a');
    const c = await mkdir(user, 'c', a.id);
    await mkdir(user, 'd', c.id);
    const names = async (query: string) =>
      (await h.call({ method: 'GET', url: `/folders${query}`, headers: user.auth }))
        .json()
        .items.map((f: { name: string }) => f.name);
    assert.deepEqual(await names(''), ['a', 'b']);
    assert.deepEqual(await names('?order=desc'), ['b', 'a']);
    assert.deepEqual(await names('?sort=created_at'), ['b', 'a']);
    assert.deepEqual(await names(`?parent_id=${a.id}`), ['c']);
    assert.deepEqual(await names(`?parent_id=${a.id}&recursive=true`), ['c', 'd']);
    assert.deepEqual(await names('?recursive=true'), ['a', 'b', 'c', 'd']);
    assert.equal(
      (await h.call({ method: 'GET', url: '/folders?sort=size', headers: user.auth })).statusCode,
      400,
    );
    assert.equal(
      (await h.call({ method: 'GET', url: '/folders?recursive=maybe', headers: user.auth })).statusCode,
      400,
    );
    const foreign = await h.call({
      method: 'GET',
      url: `/folders?parent_id=${b.id}`,
      headers: (await h.user()).auth,
    });
    assert.equal(foreign.statusCode, 404);
    assert.deepEqual(await names(''), ['a', 'b']);
  });

  test('contents: subfolders then media, paginated across both', async () => {
    const user = await h.user();
    const root = await mkdir(user, 'Drive');
    await mkdir(user, 'Sub B', root.id);
    await mkdir(user, 'Sub A', root.id);
    for (const name of ['z.txt', 'y.txt', 'x.txt']) {
      const response = await h.upload(
        user,
        { name, type: 'text/plain', data: Buffer.from(name) },
        `?folder_id=${root.id}`,
      );
      assert.equal(response.statusCode, 201);
    }
    const page1 = await h.call({
      method: 'GET',
      url: `/folders/${root.id}/contents?per_page=3`,
      headers: user.auth,
    });
    assert.equal(page1.statusCode, 200);
    const body = page1.json();
    assert.equal(body.total, 5);
    assert.equal(body.total_pages, 2);
    assert.deepEqual(body.counts, { folders: 2, media: 3 });
    assert.deepEqual(
      body.items.map(
        (item: { type: string; name?: string; original_name?: string }) =>
          `${item.type}:${item.name ?? item.original_name}`,
      ),
      ['folder:Sub A', 'folder:Sub B', 'media:x.txt'],
    );
    const page2 = (
      await h.call({
        method: 'GET',
        url: `/folders/${root.id}/contents?per_page=3&page=2`,
        headers: user.auth,
      })
    ).json();
    assert.deepEqual(
      page2.items.map((item: { original_name: string }) => item.original_name),
      ['y.txt', 'z.txt'],
    );
    const foreign = await h.call({
      method: 'GET',
      url: `/folders/${root.id}/contents`,
      headers: (await h.user()).auth,
    });
    assert.equal(foreign.statusCode, 404);
  });

  test('delete: only empty folders without force (412); force purges the subtree, blobs and quota', async () => {
    const user = await h.user();
    const root = await mkdir(user, 'Trash');
    const child = await mkdir(user, 'Child', root.id);
    await mkdir(user, 'Grandchild', child.id);
    const uploaded = [];
    for (const [folder, name] of [
      [root.id, 'a.jpg'],
      [child.id, 'b.jpg'],
    ] as const) {
      const response = await h.upload(
        user,
        { name, type: 'image/jpeg', data: await jpegImage() },
        `?folder_id=${folder}`,
      );
      assert.equal(response.statusCode, 201);
      uploaded.push(response.json());
    }
    const keep = await h.upload(user, { name: 'keep.txt', type: 'text/plain', data: Buffer.from('keep') });
    const { rows: variantRows } = await h.booted.context
      .database()
      .pool.query('SELECT storage_path FROM media_variants');
    const blobs = [
      ...uploaded.map((m) => m.storage_path),
      ...variantRows.map((r: { storage_path: string }) => r.storage_path),
    ];
    assert.ok(variantRows.length >= 2);

    const refused = await h.call({ method: 'DELETE', url: `/folders/${root.id}`, headers: user.auth });
    assert.equal(refused.statusCode, 412);
    assert.equal(errorCode(refused), 'folder_not_empty');
    const foreign = await h.call({
      method: 'DELETE',
      url: `/folders/${root.id}?force=true`,
      headers: (await h.user()).auth,
    });
    assert.equal(foreign.statusCode, 404);

    const response = await h.call({
      method: 'DELETE',
      url: `/folders/${root.id}?force=true`,
      headers: user.auth,
    });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), {
      deleted: true,
      folder_id: root.id,
      deleted_items: { folders: 3, media: 2 },
      freed_bytes: uploaded.reduce((sum, m) => sum + m.size_bytes, 0),
    });
    for (const key of blobs) {
      await assert.rejects(
        fs.access(path.join(h.booted.dataDir, 'objects', 'media', ...key.split('/'))),
        key,
      );
    }
    const list = (await h.call({ method: 'GET', url: '/media', headers: user.auth })).json();
    assert.equal(list.total, 1);
    assert.equal(list.quota.used_bytes, keep.json().size_bytes);
    assert.equal(
      (await h.call({ method: 'GET', url: '/folders?recursive=true', headers: user.auth })).json().total,
      0,
    );

    const empty = await mkdir(user, 'Empty');
    const ok = await h.call({ method: 'DELETE', url: `/folders/${empty.id}`, headers: user.auth });
    assert.equal(ok.statusCode, 200);
    assert.deepEqual(ok.json().deleted_items, { folders: 1, media: 0 });
    assert.equal(
      (await h.call({ method: 'DELETE', url: `/folders/${empty.id}`, headers: user.auth })).statusCode,
      404,
    );
  });
});
