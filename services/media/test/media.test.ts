import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { corruptPng, jpegImage, mp4Video, pngImage } from './support/fixtures.js';
import { errorCode, type Harness, startHarness, type TestUser } from './support/harness.js';

let h: Harness;
before(async () => {
  h = await startHarness({ eagerMediumVariant: true });
});
after(async () => h?.close());

const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

async function put(
  user: TestUser,
  name: string,
  data: Buffer,
  type = 'application/octet-stream',
  query = '',
) {
  const response = await h.upload(user, { name, type, data }, query);
  assert.equal(response.statusCode, 201, response.body);
  return response.json() as { id: string; checksum: string; storage_path: string; size_bytes: number };
}

function blobPath(key: string): string {
  return path.join(h.booted.dataDir, 'objects', 'media', ...key.split('/'));
}

describe('GET /media (list)', () => {
  test('filters, searches, sorts, pages, and carries the quota', async () => {
    const user = await h.user();
    const folder = (
      await h.call({ method: 'POST', url: '/folders', payload: { name: 'F' }, headers: user.auth })
    ).json();
    await put(user, 'alpha.txt', Buffer.from('aaaa'), 'text/plain');
    await put(user, 'beta_100%.txt', Buffer.from('bb'), 'text/plain', '?visibility=public');
    await put(user, 'gamma.png', await pngImage(), 'image/png', `?folder_id=${folder.id}`);
    await put(user, 'clip.mp4', mp4Video(), 'video/mp4', '?visibility=private');

    const all = await h.call({ method: 'GET', url: '/media', headers: user.auth });
    assert.equal(all.statusCode, 200);
    const body = all.json();
    assert.equal(body.total, 4);
    assert.equal(body.page, 1);
    assert.equal(body.per_page, 20);
    assert.equal(body.total_pages, 1);
    assert.equal(body.quota.max_bytes, 1024 * 1024 * 1024);
    assert.equal(
      body.quota.used_bytes,
      body.items.reduce((sum: number, item: { size_bytes: number }) => sum + item.size_bytes, 0),
    );
    // Newest first by default.
    assert.deepEqual(
      body.items.map((item: { original_name: string }) => item.original_name),
      ['clip.mp4', 'gamma.png', 'beta_100%.txt', 'alpha.txt'],
    );

    const names = async (query: string) =>
      (await h.call({ method: 'GET', url: `/media?${query}`, headers: user.auth }))
        .json()
        .items.map((item: { original_name: string }) => item.original_name);
    assert.deepEqual(await names(`folder_id=${folder.id}`), ['gamma.png']);
    assert.deepEqual(await names('visibility=public'), ['beta_100%.txt']);
    assert.deepEqual(await names('file_type=video'), ['clip.mp4']);
    assert.deepEqual(await names('file_type=document&sort=name&order=asc'), ['alpha.txt', 'beta_100%.txt']);
    assert.deepEqual(await names('search=ALPH'), ['alpha.txt']);
    // LIKE wildcards in the term are literal.
    assert.deepEqual(await names('search=%25'), ['beta_100%.txt']);
    assert.deepEqual(await names(`search=${encodeURIComponent("' OR 1=1 --")}`), []);
    assert.deepEqual(await names('sort=size&order=asc&per_page=2'), ['beta_100%.txt', 'alpha.txt']);
    const page2 = (
      await h.call({ method: 'GET', url: '/media?sort=size&order=asc&per_page=2&page=2', headers: user.auth })
    ).json();
    assert.equal(page2.total_pages, 2);
    assert.equal(page2.items.length, 2);
    // per_page is capped at 100.
    assert.equal(
      (await h.call({ method: 'GET', url: '/media?per_page=1000', headers: user.auth })).json().per_page,
      100,
    );
    for (const bad of [
      'search=%00',
      'page=0',
      'per_page=0',
      'sort=owner',
      'order=up',
      'file_type=exe',
      'folder_id=nope',
    ]) {
      const response = await h.call({ method: 'GET', url: `/media?${bad}`, headers: user.auth });
      assert.equal(response.statusCode, 400, bad);
      assert.equal(errorCode(response), 'validation_failed');
    }
  });

  test('lists only the caller’s media in the caller’s organization', async () => {
    const owner = await h.user();
    await put(owner, 'mine.txt', Buffer.from('m'), 'text/plain', '?visibility=public');
    const stranger = await h.user();
    assert.equal((await h.call({ method: 'GET', url: '/media', headers: stranger.auth })).json().total, 0);
    // Same account, other organization context: a different tenant.
    const elsewhere = await h.user({ sub: owner.sub });
    assert.equal((await h.call({ method: 'GET', url: '/media', headers: elsewhere.auth })).json().total, 0);
  });
});

describe('visibility rules on read', () => {
  test('public: anyone; organization: same org; private: owner only', async () => {
    const owner = await h.user();
    const colleague = await h.user({ orgId: owner.orgId });
    const outsider = await h.user();
    const pub = await put(owner, 'pub.txt', Buffer.from('p'), 'text/plain', '?visibility=public');
    const org = await put(owner, 'org.txt', Buffer.from('o'), 'text/plain', '?visibility=organization');
    const priv = await put(owner, 'priv.txt', Buffer.from('s'), 'text/plain', '?visibility=private');
    const status = async (id: string, who?: TestUser, suffix = '') =>
      (await h.call({ method: 'GET', url: `/media/${id}${suffix}`, headers: who?.auth ?? {} })).statusCode;
    for (const suffix of ['', '/info']) {
      assert.equal(await status(pub.id, undefined, suffix), 200);
      assert.equal(await status(pub.id, outsider, suffix), 200);
      assert.equal(await status(org.id, undefined, suffix), 401);
      assert.equal(await status(org.id, colleague, suffix), 200);
      assert.equal(await status(org.id, outsider, suffix), 404);
      assert.equal(await status(priv.id, colleague, suffix), 404);
      assert.equal(await status(priv.id, owner, suffix), 200);
      assert.equal(await status(priv.id, undefined, suffix), 401);
    }
    assert.equal(await status(randomUUID(), owner), 404);
    assert.equal(await status('not-a-uuid', owner), 400);
  });

  test('a token without media:download cannot read even public media', async () => {
    const owner = await h.user();
    const pub = await put(owner, 'pub.txt', Buffer.from('p'), 'text/plain', '?visibility=public');
    const reader = await h.user({ permissions: ['media:list'] });
    const response = await h.call({ method: 'GET', url: `/media/${pub.id}`, headers: reader.auth });
    assert.equal(response.statusCode, 403);
  });
});

describe('download', () => {
  test('sends the original type, disposition with the display name, and the exact bytes', async () => {
    const user = await h.user();
    const data = Buffer.from('%PDF-1.4\n%âãÏÓ\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n', 'latin1');
    const media = await put(user, 'Résumé 2026.pdf', data, 'application/pdf');
    const response = await h.call({ method: 'GET', url: `/media/${media.id}`, headers: user.auth });
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['content-type'], 'application/pdf');
    assert.match(
      String(response.headers['content-disposition']),
      /^inline; filename="R_sum_ 2026.pdf"; filename\*=UTF-8''R%C3%A9sum%C3%A9%202026.pdf$/,
    );
    assert.equal(response.headers['x-content-type-options'], 'nosniff');
    assert.equal(response.headers['content-security-policy'], "default-src 'none';sandbox");
    assert.equal(response.headers['accept-ranges'], undefined);
    assert.equal(sha(response.rawPayload), media.checksum.slice(7));
  });

  test('HEAD answers the headers without a body', async () => {
    const user = await h.user();
    const media = await put(user, 'h.txt', Buffer.from('head me'), 'text/plain');
    const response = await h.booted.app.inject({
      method: 'HEAD',
      url: `/media/${media.id}`,
      headers: user.auth,
    });
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['content-length'], '7');
    assert.equal(response.body, '');
  });

  test('info returns the metadata only', async () => {
    const user = await h.user();
    const media = await put(user, 'n.txt', Buffer.from('note'), 'text/plain');
    const response = await h.call({ method: 'GET', url: `/media/${media.id}/info`, headers: user.auth });
    assert.equal(response.statusCode, 200);
    assert.equal(response.json().checksum, media.checksum);
    assert.equal(response.json().size_bytes, 4);
  });
});

describe('rename, visibility, delete', () => {
  test('rename rewrites only the display name; the stored file is unchanged', async () => {
    const owner = await h.user();
    const media = await put(owner, 'old.txt', Buffer.from('x'), 'text/plain');
    const response = await h.call({
      method: 'PATCH',
      url: `/media/${media.id}`,
      payload: { original_name: 'vacation-2026-04.txt' },
      headers: owner.auth,
    });
    assert.equal(response.statusCode, 200);
    assert.equal(response.json().original_name, 'vacation-2026-04.txt');
    assert.equal(response.json().storage_path, media.storage_path);
    for (const payload of [
      {},
      { original_name: '' },
      { original_name: 'a/b' },
      { original_name: 'x'.repeat(256) },
    ]) {
      const bad = await h.call({ method: 'PATCH', url: `/media/${media.id}`, payload, headers: owner.auth });
      assert.equal(bad.statusCode, 400);
    }
    const malformed = await h.call({
      method: 'PATCH',
      url: `/media/${media.id}`,
      payload: '{"original_name":',
      headers: { ...owner.auth, 'content-type': 'application/json' },
    });
    assert.equal(malformed.statusCode, 400);
    assert.equal(errorCode(malformed), 'malformed_json');
    // Colleagues who can read it still cannot write it.
    const colleague = await h.user({ orgId: owner.orgId });
    const foreign = await h.call({
      method: 'PATCH',
      url: `/media/${media.id}`,
      payload: { original_name: 'hijack.txt' },
      headers: colleague.auth,
    });
    assert.equal(foreign.statusCode, 404);
  });

  test('visibility switches; only the owner may', async () => {
    const owner = await h.user();
    const media = await put(owner, 'v.txt', Buffer.from('x'), 'text/plain');
    const response = await h.call({
      method: 'PATCH',
      url: `/media/${media.id}/visibility`,
      payload: { visibility: 'public' },
      headers: owner.auth,
    });
    assert.equal(response.statusCode, 200);
    assert.equal(response.json().visibility, 'public');
    assert.equal((await h.call({ method: 'GET', url: `/media/${media.id}` })).statusCode, 200);
    const bad = await h.call({
      method: 'PATCH',
      url: `/media/${media.id}/visibility`,
      payload: { visibility: 'everyone' },
      headers: owner.auth,
    });
    assert.equal(bad.statusCode, 400);
    const other = await h.user();
    const foreign = await h.call({
      method: 'PATCH',
      url: `/media/${media.id}/visibility`,
      payload: { visibility: 'private' },
      headers: other.auth,
    });
    assert.equal(foreign.statusCode, 404);
  });

  test('delete removes the original and every variant blob, releases the quota, and is owner-only', async () => {
    const owner = await h.user();
    const media = await put(owner, 'pic.jpg', await jpegImage(), 'image/jpeg');
    await h.call({ method: 'GET', url: `/media/${media.id}?variant=low`, headers: owner.auth });
    const { rows: variants } = await h.booted.context
      .database()
      .pool.query('SELECT storage_path FROM media_variants WHERE media_id = $1', [media.id]);
    assert.equal(variants.length, 2, 'eager medium + lazy low');
    const other = await h.user({ orgId: owner.orgId });
    assert.equal(
      (await h.call({ method: 'DELETE', url: `/media/${media.id}`, headers: other.auth })).statusCode,
      404,
    );
    const response = await h.call({ method: 'DELETE', url: `/media/${media.id}`, headers: owner.auth });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), {
      deleted: true,
      media_id: media.id,
      filename: `${media.id}.jpg`,
      freed_bytes: media.size_bytes,
    });
    for (const key of [
      media.storage_path,
      ...variants.map((row: { storage_path: string }) => row.storage_path),
    ]) {
      await assert.rejects(fs.access(blobPath(key)), key);
    }
    const list = await h.call({ method: 'GET', url: '/media', headers: owner.auth });
    assert.equal(list.json().quota.used_bytes, 0);
    assert.equal(
      (await h.call({ method: 'DELETE', url: `/media/${media.id}`, headers: owner.auth })).statusCode,
      404,
    );
  });

  test('delete tolerates a blob that is already gone', async () => {
    const owner = await h.user();
    const media = await put(owner, 'gone.txt', Buffer.from('x'), 'text/plain');
    await fs.rm(blobPath(media.storage_path));
    const response = await h.call({ method: 'DELETE', url: `/media/${media.id}`, headers: owner.auth });
    assert.equal(response.statusCode, 200);
  });
});

describe('image variants', () => {
  test('high/medium/low re-encode at decreasing quality; the original never changes', async () => {
    const owner = await h.user();
    const data = await jpegImage(320, 240);
    const media = await put(owner, 'photo.jpg', data, 'image/jpeg');
    const { rows: eager } = await h.booted.context
      .database()
      .pool.query('SELECT variant, quality FROM media_variants WHERE media_id = $1', [media.id]);
    assert.deepEqual(
      eager,
      [{ variant: 'medium', quality: 75 }],
      'IMAGE_EAGER_MEDIUM generated medium at upload',
    );
    const sizes: Record<string, number> = {};
    for (const variant of ['original', 'high', 'medium', 'low']) {
      const response = await h.call({
        method: 'GET',
        url: `/media/${media.id}?variant=${variant}`,
        headers: owner.auth,
      });
      assert.equal(response.statusCode, 200, variant);
      assert.equal(response.headers['content-type'], 'image/jpeg');
      assert.match(String(response.headers['content-disposition']), /filename="photo.jpg"/);
      sizes[variant] = response.rawPayload.length;
      if (variant === 'original') assert.equal(sha(response.rawPayload), sha(data));
      else assert.notEqual(sha(response.rawPayload), sha(data));
    }
    assert.ok(
      sizes.original! > sizes.high! && sizes.high! > sizes.medium! && sizes.medium! > sizes.low!,
      JSON.stringify(sizes),
    );
    // Aliases, and the cache: a second request serves the same stored variant.
    const low1 = await h.call({ method: 'GET', url: `/media/${media.id}?variant=lo`, headers: owner.auth });
    const low2 = await h.call({ method: 'GET', url: `/media/${media.id}?variant=low`, headers: owner.auth });
    assert.deepEqual(low1.rawPayload, low2.rawPayload);
    for (const alias of ['orig', 'raw']) {
      const response = await h.call({
        method: 'GET',
        url: `/media/${media.id}?variant=${alias}`,
        headers: owner.auth,
      });
      assert.equal(sha(response.rawPayload), sha(data));
    }
    for (const alias of ['hi', 'med']) {
      const response = await h.call({
        method: 'GET',
        url: `/media/${media.id}?variant=${alias}`,
        headers: owner.auth,
      });
      assert.equal(response.statusCode, 200);
    }
    const { rows } = await h.booted.context
      .database()
      .pool.query('SELECT count(*)::int AS n FROM media_variants WHERE media_id = $1', [media.id]);
    assert.equal(rows[0].n, 3);
    // The original on disk still hashes to the upload checksum.
    assert.equal(sha(await fs.readFile(blobPath(media.storage_path))), media.checksum.slice(7));
  });

  test('concurrent first requests for a lazy variant agree on one cached copy', async () => {
    const owner = await h.user();
    const media = await put(owner, 'p.png', await pngImage(128, 128), 'image/png');
    const responses = await Promise.all(
      Array.from({ length: 4 }, () =>
        h.call({ method: 'GET', url: `/media/${media.id}?variant=high`, headers: owner.auth }),
      ),
    );
    for (const response of responses) assert.equal(response.statusCode, 200);
    const { rows } = await h.booted.context
      .database()
      .pool.query("SELECT storage_path FROM media_variants WHERE media_id = $1 AND variant = 'high'", [
        media.id,
      ]);
    assert.equal(rows.length, 1);
    const dir = path.dirname(blobPath(rows[0].storage_path));
    const highs = (await fs.readdir(dir)).filter(
      (name) => name.startsWith('high-') && !name.endsWith('.meta.json'),
    );
    assert.equal(highs.length, 1, 'losers removed their copies');
  });

  test('an invalid variant is 400 with the allowed list', async () => {
    const owner = await h.user();
    const media = await put(owner, 'p.png', await pngImage(), 'image/png');
    const response = await h.call({
      method: 'GET',
      url: `/media/${media.id}?variant=huge`,
      headers: owner.auth,
    });
    assert.equal(response.statusCode, 400);
    assert.equal(errorCode(response), 'invalid_variant');
    assert.ok(response.json().error.allowed.includes('medium'));
  });

  test('a corrupt image is a 500, never the original in disguise', async () => {
    const owner = await h.user();
    const media = await put(owner, 'broken.png', corruptPng(), 'image/png');
    const response = await h.call({
      method: 'GET',
      url: `/media/${media.id}?variant=low`,
      headers: owner.auth,
    });
    assert.equal(response.statusCode, 500);
    assert.equal(errorCode(response), 'variant_generation_failed');
    // The upload itself succeeded although the eager medium variant could not be made.
    const original = await h.call({ method: 'GET', url: `/media/${media.id}`, headers: owner.auth });
    assert.equal(original.statusCode, 200);
  });

  test('non-images have no variants', async () => {
    const owner = await h.user();
    const media = await put(owner, 'n.txt', Buffer.from('x'), 'text/plain');
    const response = await h.call({
      method: 'GET',
      url: `/media/${media.id}?variant=low`,
      headers: owner.auth,
    });
    assert.equal(response.statusCode, 400);
    assert.equal(errorCode(response), 'variant_unavailable');
  });
});

describe('range streaming', () => {
  test('video honours bytes=N-M, N- and -M with 206 and Content-Range', async () => {
    const owner = await h.user();
    const data = mp4Video(5000);
    const media = await put(owner, 'clip.mp4', data, 'video/mp4');
    const get = (range?: string) =>
      h.call({
        method: 'GET',
        url: `/media/${media.id}`,
        headers: { ...owner.auth, ...(range ? { range } : {}) },
      });
    const full = await get();
    assert.equal(full.statusCode, 200);
    assert.equal(full.headers['accept-ranges'], 'bytes');
    assert.equal(full.rawPayload.length, 5000);
    const cases: [string, number, number][] = [
      ['bytes=0-99', 0, 99],
      ['bytes=4990-', 4990, 4999],
      ['bytes=-10', 4990, 4999],
      ['bytes=100-99999', 100, 4999],
      ['bytes=-99999', 0, 4999],
    ];
    for (const [range, start, end] of cases) {
      const response = await get(range);
      assert.equal(response.statusCode, 206, range);
      assert.equal(response.headers['content-range'], `bytes ${start}-${end}/5000`);
      assert.equal(Number(response.headers['content-length']), end - start + 1);
      assert.deepEqual(response.rawPayload, data.subarray(start, end + 1));
    }
    for (const range of ['bytes=5000-', 'bytes=6000-7000', 'bytes=-0']) {
      const response = await get(range);
      assert.equal(response.statusCode, 416, range);
      assert.equal(response.headers['content-range'], 'bytes */5000');
    }
    for (const range of ['bytes=0-1,5-9', 'pages=1-2', 'bytes=abc', 'bytes=9-3', 'bytes=-']) {
      const response = await get(range);
      assert.equal(response.statusCode, 200, range);
      assert.equal(response.rawPayload.length, 5000);
    }
  });

  test('non-video ignores Range and does not advertise it', async () => {
    const owner = await h.user();
    const media = await put(owner, 'n.txt', Buffer.from('0123456789'), 'text/plain');
    const response = await h.call({
      method: 'GET',
      url: `/media/${media.id}`,
      headers: { ...owner.auth, range: 'bytes=0-1' },
    });
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['accept-ranges'], undefined);
    assert.equal(response.body, '0123456789');
  });
});
