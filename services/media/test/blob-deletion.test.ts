import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { eventually } from '@trustplane/kernel/testkit';
import { DELETE_BLOBS_QUEUE } from '../src/jobs/delete-blobs.js';
import { type Harness, startHarness } from './support/harness.js';

let h: Harness;
before(async () => {
  h = await startHarness({}, {}, { workers: true });
});
after(async () => h?.close());

function blobPath(key: string): string {
  return path.join(h.booted.dataDir, 'objects', 'media', ...key.split('/'));
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}

describe('blob deletion job', () => {
  test('storage failing at delete time: the route answers, the job retries until the blob is gone', async () => {
    const owner = await h.user();
    const uploaded = await h.upload(owner, { name: 'doomed.bin', data: Buffer.from('doomed bytes') });
    assert.equal(uploaded.statusCode, 201, uploaded.body);
    const media = uploaded.json() as { id: string; storage_path: string };
    const file = blobPath(media.storage_path);
    assert.ok(await exists(file));

    // The storage refuses the first two deletes of this blob: the route's own removal and the
    // job's first run (whichever comes first); the job's retry is the only one that can remove it.
    const objects = h.booted.context.objects;
    const original = objects.delete.bind(objects);
    let refused = 0;
    objects.delete = async (key: string) => {
      if (key === media.storage_path && refused < 2) {
        refused += 1;
        throw new Error('storage unavailable');
      }
      return original(key);
    };
    try {
      const deleted = await h.call({ method: 'DELETE', url: `/media/${media.id}`, headers: owner.auth });
      assert.equal(deleted.statusCode, 200, deleted.body);
      const gone = await h.call({ method: 'GET', url: `/media/${media.id}`, headers: owner.auth });
      assert.equal(gone.statusCode, 404);
      await eventually(async () => (refused === 2 ? true : undefined), 'both refused deletes', 90_000, 200);
      await eventually(
        async () => ((await exists(file)) ? undefined : true),
        'the blob to be removed',
        90_000,
        200,
      );
    } finally {
      objects.delete = original;
    }
    const jobsOf = async () =>
      (
        await h.booted.context
          .database()
          .pool.query(`SELECT state, retry_count FROM pgboss.job WHERE name = $1 AND data->'keys' ? $2`, [
            DELETE_BLOBS_QUEUE,
            media.storage_path,
          ])
      ).rows as { state: string; retry_count: number }[];
    const rows = await eventually(
      async () => {
        const current = await jobsOf();
        return current[0]?.state === 'completed' ? current : undefined;
      },
      'the job to complete',
      90_000,
      200,
    );
    assert.equal(rows.length, 1, 'one job carried the keys');
    assert.ok((rows[0]?.retry_count ?? 0) >= 1, 'completed by a retry');
  });
});
