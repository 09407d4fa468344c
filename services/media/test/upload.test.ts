import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { errorCode, type Harness, multipartBody, startHarness } from './support/harness.js';
import { elfExecutable, jpegImage, pngImage, windowsExecutable } from './support/fixtures.js';

const MAX_FILE = 64 * 1024;
const QUOTA = 200 * 1024;

let h: Harness;
before(async () => {
  h = await startHarness({ maxFileSize: MAX_FILE, defaultQuotaBytes: QUOTA });
});
after(async () => h?.close());

/** Every file under the store (originals, variants and staging), relative to its root. */
async function storedFiles(): Promise<string[]> {
  const root = path.join(h.booted.dataDir, 'objects', 'media');
  const entries = await fs.readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((entry) => entry.isFile() && !entry.name.endsWith('.meta.json'))
    .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)));
}

async function mediaRowCount(): Promise<number> {
  const { rows } = await h.booted.context.database().pool.query('SELECT count(*)::int AS n FROM media');
  return rows[0].n;
}

describe('POST /upload', () => {
  test('stores the bytes, answers 201 with the canonical metadata and a sha256 checksum', async () => {
    const user = await h.user();
    const data = await jpegImage();
    const response = await h.upload(user, { name: 'photo.jpg', type: 'image/jpeg', data });
    assert.equal(response.statusCode, 201);
    const body = response.json();
    assert.equal(body.original_name, 'photo.jpg');
    assert.equal(body.mime_type, 'image/jpeg');
    assert.equal(body.file_type, 'image');
    assert.equal(body.size_bytes, data.length);
    assert.equal(body.checksum, `sha256:${createHash('sha256').update(data).digest('hex')}`);
    assert.equal(body.visibility, 'organization');
    assert.equal(body.folder_id, null);
    assert.equal(body.filename, `${body.id}.jpg`);
    const download = await h.call({ method: 'GET', url: `/media/${body.id}`, headers: user.auth });
    assert.equal(download.statusCode, 200);
    assert.deepEqual(download.rawPayload, data);
  });

  test('visibility comes from the query', async () => {
    const user = await h.user();
    const response = await h.upload(
      user,
      { name: 'a.txt', type: 'text/plain', data: Buffer.from('hello') },
      '?visibility=private',
    );
    assert.equal(response.statusCode, 201);
    assert.equal(response.json().visibility, 'private');
    const bad = await h.upload(
      user,
      { name: 'a.txt', type: 'text/plain', data: Buffer.from('x') },
      '?visibility=world',
    );
    assert.equal(bad.statusCode, 400);
    assert.equal(errorCode(bad), 'validation_failed');
  });

  test('the magic-byte sniff wins over the declared type', async () => {
    const user = await h.user();
    const response = await h.upload(user, {
      name: 'picture.bin',
      type: 'application/pdf',
      data: await pngImage(),
    });
    assert.equal(response.statusCode, 201);
    assert.equal(response.json().mime_type, 'image/png');
    assert.equal(response.json().file_type, 'image');
  });

  test('a declared signature type whose bytes lack the signature is stored as octet-stream', async () => {
    const user = await h.user();
    const response = await h.upload(user, {
      name: 'fake.png',
      type: 'image/png',
      data: Buffer.from('just some text'),
    });
    assert.equal(response.statusCode, 201);
    assert.equal(response.json().mime_type, 'application/octet-stream');
    assert.equal(response.json().file_type, 'other');
  });

  test('executables are refused even when disguised, and leave nothing behind', async () => {
    const user = await h.user();
    const before = await storedFiles();
    const rows = await mediaRowCount();
    for (const data of [windowsExecutable(), elfExecutable()]) {
      const response = await h.upload(user, { name: 'holiday.jpg', type: 'image/jpeg', data });
      assert.equal(response.statusCode, 415);
      assert.equal(errorCode(response), 'unsupported_media_type');
    }
    assert.deepEqual(await storedFiles(), before);
    assert.equal(await mediaRowCount(), rows);
  });

  test('filename rules come first: missing, executable extension, too long', async () => {
    const user = await h.user();
    const cases: [string, number, string][] = [
      ['', 400, 'invalid_filename'],
      ['setup.exe', 415, 'unsupported_media_type'],
      ['run.sh', 415, 'unsupported_media_type'],
      [`${'a'.repeat(256)}.txt`, 400, 'invalid_filename'],
    ];
    for (const [name, status, code] of cases) {
      const response = await h.upload(user, { name, type: 'text/plain', data: Buffer.from('x') });
      assert.equal(response.statusCode, status, name);
      assert.equal(errorCode(response), code, name);
    }
  });

  test('a blocked declared MIME type is refused before streaming', async () => {
    const user = await h.user();
    const response = await h.upload(user, {
      name: 'page.txt',
      type: 'text/html',
      data: Buffer.from('<p>hi</p>'),
    });
    assert.equal(response.statusCode, 415);
    assert.equal(errorCode(response), 'unsupported_media_type');
  });

  test('a directory in the filename is dropped', async () => {
    const user = await h.user();
    const response = await h.upload(user, {
      name: '../../etc/notes.txt',
      type: 'text/plain',
      data: Buffer.from('x'),
    });
    assert.equal(response.statusCode, 201);
    assert.equal(response.json().original_name, 'notes.txt');
  });

  test('files over the size cap get 413 and leave no blob and no row', async () => {
    const user = await h.user();
    const before = await storedFiles();
    const rows = await mediaRowCount();
    const response = await h.upload(user, { name: 'big.bin', data: Buffer.alloc(MAX_FILE + 1, 1) });
    assert.equal(response.statusCode, 413);
    assert.equal(errorCode(response), 'file_too_large');
    assert.deepEqual(await storedFiles(), before);
    assert.equal(await mediaRowCount(), rows);
    const exact = await h.upload(user, { name: 'exact.bin', data: Buffer.alloc(MAX_FILE, 1) });
    assert.equal(exact.statusCode, 201);
  });

  test('the part must be a file named "file" in a multipart body', async () => {
    const user = await h.user();
    const wrongField = multipartBody([
      { field: 'document', filename: 'a.txt', type: 'text/plain', data: 'x' },
    ]);
    let response = await h.call({
      method: 'POST',
      url: '/upload',
      payload: wrongField.payload,
      headers: { ...wrongField.headers, ...user.auth },
    });
    assert.equal(response.statusCode, 400);
    assert.equal(errorCode(response), 'missing_file');
    response = await h.call({
      method: 'POST',
      url: '/upload',
      payload: { file: 'x' },
      headers: user.auth,
    });
    assert.equal(response.statusCode, 400);
    assert.equal(errorCode(response), 'multipart_required');
    response = await h.call({
      method: 'POST',
      url: '/upload',
      payload: '--broken\r\nnonsense',
      headers: { 'content-type': 'multipart/form-data; boundary=broken', ...user.auth },
    });
    assert.equal(response.statusCode, 400);
  });

  test('only the upload reads multipart: elsewhere a multipart body is 415 and changes nothing', async () => {
    const user = await h.user();
    const form = multipartBody([{ field: 'name', data: 'from a form' }]);
    const response = await h.call({
      method: 'POST',
      url: '/folders',
      payload: form.payload,
      headers: { ...form.headers, ...user.auth },
    });
    assert.equal(response.statusCode, 415);
    assert.equal(errorCode(response), 'unsupported_media_type');
    const folders = await h.call({ method: 'GET', url: '/folders', headers: user.auth });
    assert.equal(folders.statusCode, 200);
    assert.doesNotMatch(folders.body, /from a form/);
  });

  test('fields before and after the file part are tolerated', async () => {
    const user = await h.user();
    const body = multipartBody([
      { field: 'note', data: 'before' },
      { field: 'file', filename: 'mixed.txt', type: 'text/plain', data: 'the file' },
      { field: 'comment', data: 'after' },
    ]);
    const response = await h.call({
      method: 'POST',
      url: '/upload',
      payload: body.payload,
      headers: { ...body.headers, ...user.auth },
    });
    assert.equal(response.statusCode, 201);
    assert.equal(response.json().size_bytes, 8);
  });

  test('uploading into a folder needs a folder the caller owns', async () => {
    const owner = await h.user();
    const other = await h.user();
    const folder = await h.call({
      method: 'POST',
      url: '/folders',
      payload: { name: 'Docs' },
      headers: owner.auth,
    });
    const id = folder.json().id;
    const ok = await h.upload(
      owner,
      { name: 'a.txt', type: 'text/plain', data: Buffer.from('x') },
      `?folder_id=${id}`,
    );
    assert.equal(ok.statusCode, 201);
    assert.equal(ok.json().folder_id, id);
    const foreign = await h.upload(
      other,
      { name: 'a.txt', type: 'text/plain', data: Buffer.from('x') },
      `?folder_id=${id}`,
    );
    assert.equal(foreign.statusCode, 404);
    assert.equal(errorCode(foreign), 'folder_not_found');
  });

  test('the quota is enforced: the upload that would cross it fails, and usage is exact', async () => {
    const user = await h.user();
    const chunk = Buffer.alloc(60 * 1024, 7);
    for (let i = 0; i < 3; i++) {
      const response = await h.upload(user, { name: `part-${i}.bin`, data: chunk });
      assert.equal(response.statusCode, 201);
    }
    const over = await h.upload(user, { name: 'part-3.bin', data: chunk });
    assert.equal(over.statusCode, 413);
    assert.equal(errorCode(over), 'quota_exceeded');
    const list = await h.call({ method: 'GET', url: '/media', headers: user.auth });
    assert.deepEqual(list.json().quota, { used_bytes: 3 * chunk.length, max_bytes: QUOTA });
    assert.equal(list.json().total, 3);
  });

  test('concurrent uploads that together exceed the quota cannot both succeed', async () => {
    const user = await h.user();
    const chunk = Buffer.alloc(60 * 1024, 3);
    // 200 KiB quota, 6 × 60 KiB in parallel: exactly 3 fit.
    const responses = await Promise.all(
      Array.from({ length: 6 }, (_, i) => h.upload(user, { name: `c-${i}.bin`, data: chunk })),
    );
    const statuses = responses.map((response) => response.statusCode).sort();
    assert.deepEqual(statuses, [201, 201, 201, 413, 413, 413]);
    const list = await h.call({ method: 'GET', url: '/media?per_page=100', headers: user.auth });
    assert.equal(list.json().total, 3);
    assert.equal(list.json().quota.used_bytes, 3 * chunk.length);
    // Every row has its blob; the refused uploads left none.
    const files = await storedFiles();
    for (const item of list.json().items) assert.ok(files.includes(item.storage_path));
  });

  test('quota fast-path: a full account is refused before any byte is stored', async () => {
    const user = await h.user();
    await h.booted.context
      .database()
      .pool.query('INSERT INTO storage_usage (owner_id, used_bytes, max_bytes) VALUES ($1, 10, 10)', [
        user.sub,
      ]);
    const response = await h.upload(user, { name: 'a.txt', type: 'text/plain', data: Buffer.from('x') });
    assert.equal(response.statusCode, 413);
    assert.equal(errorCode(response), 'quota_exceeded');
  });

  test('every row has its file on disk ("DB row ⇒ file exists")', async () => {
    const { rows } = await h.booted.context.database().pool.query('SELECT storage_path FROM media');
    const files = await storedFiles();
    for (const row of rows) assert.ok(files.includes(row.storage_path), row.storage_path);
    assert.ok(!files.some((file) => file.startsWith('.staging')), 'no staged leftovers');
  });
});
