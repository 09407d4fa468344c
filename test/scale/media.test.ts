// media on two instances with its objects in S3: what one instance stored, the other serves
// (whole and by range); the quota holds under parallel uploads spread over both; a variant asked
// of both at once is generated once.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { createS3Client } from '@trustplane/kernel';
import sharp from 'sharp';
import { scaleLane } from './support/topology.js';
import { type VerifiedUser, verifiedUser } from './support/users.js';

const { skip, lane } = await scaleLane();
const media = (index: 1 | 2) => lane.instances[index - 1]!.urls.media!;
/** MEDIA_DEFAULT_QUOTA_BYTES of the lane (lane.ts). */
const QUOTA_BYTES = 1_048_576;

function mp4Video(size: number): Buffer {
  const data = randomBytes(size);
  Buffer.from('0000001866747970697336d00000000069736f6d6d703432', 'hex').copy(data, 0);
  data.write('isom', 8, 'latin1');
  return data;
}

async function upload(base: string, user: VerifiedUser, name: string, type: string, data: Buffer) {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(data)], { type }), name);
  const response = await fetch(`${base}/upload`, {
    method: 'POST',
    headers: { authorization: `Bearer ${user.accessToken}` },
    body: form,
  });
  const text = await response.text();
  return { status: response.status, text, body: text.startsWith('{') ? JSON.parse(text) : null };
}

async function download(base: string, user: VerifiedUser, id: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${base}/media/${id}${headers.query ?? ''}`, {
    headers: {
      authorization: `Bearer ${user.accessToken}`,
      ...(headers.range ? { range: headers.range } : {}),
    },
  });
  return {
    status: response.status,
    headers: response.headers,
    bytes: Buffer.from(await response.arrayBuffer()),
  };
}

const s3 = () => createS3Client(lane.s3);

async function s3Keys(prefix: string): Promise<string[]> {
  const listed = await s3().send(new ListObjectsV2Command({ Bucket: lane.s3.bucket, Prefix: prefix }));
  return (listed.Contents ?? []).map((object) => object.Key!);
}

async function generatedVariants(variant: string): Promise<number> {
  let total = 0;
  for (const index of [1, 2] as const) {
    const metrics = await (await fetch(`${media(index)}/metrics`)).text();
    const line = metrics
      .split('\n')
      .find(
        (row) =>
          row.startsWith('media_variant_generations_total{') &&
          row.includes(`variant="${variant}"`) &&
          row.includes('outcome="generated"'),
      );
    total += line ? Number(line.split(' ').at(-1)) : 0;
  }
  return total;
}

describe('media across two instances, objects in S3', () => {
  test('uploaded through one instance, downloaded whole and by range through the other', {
    skip,
  }, async () => {
    const user = await verifiedUser(lane);
    const video = mp4Video(300_000);
    const uploaded = await upload(media(1), user, 'clip.mp4', 'video/mp4', video);
    assert.equal(uploaded.status, 201, uploaded.text);
    const { id, storage_path: key, checksum } = uploaded.body;
    assert.equal(checksum, `sha256:${createHash('sha256').update(video).digest('hex')}`);
    // The original is an object in the bucket, not a file of instance 1.
    const head = await s3().send(
      new HeadObjectCommand({
        Bucket: lane.s3.bucket,
        Key: (await s3Keys('')).find((k) => k.endsWith(key))!,
      }),
    );
    assert.equal(head.ContentLength, video.length);

    const whole = await download(media(2), user, id);
    assert.equal(whole.status, 200);
    assert.ok(whole.bytes.equals(video), 'instance 2 serves the bytes instance 1 stored');
    const ranged = await download(media(2), user, id, { range: 'bytes=1000-50999' });
    assert.equal(ranged.status, 206);
    assert.equal(ranged.headers.get('content-range'), `bytes 1000-50999/${video.length}`);
    assert.ok(ranged.bytes.equals(video.subarray(1000, 51_000)));
    const tail = await download(lane.balancer.media!, user, id, { range: 'bytes=-4096' });
    assert.equal(tail.status, 206);
    assert.ok(tail.bytes.equals(video.subarray(video.length - 4096)));
  });

  test('the quota holds under parallel uploads spread over both instances', { skip }, async () => {
    const user = await verifiedUser(lane);
    const size = 204_800;
    // Eight uploads at once, four to each instance: five fit in the quota, the others are refused.
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, index) =>
        upload(
          media(index % 2 === 0 ? 1 : 2),
          user,
          `part-${index}.bin`,
          'application/octet-stream',
          randomBytes(size),
        ),
      ),
    );
    const statuses = results.map((result) => result.status).sort();
    assert.deepEqual(
      statuses,
      [201, 201, 201, 201, 201, 413, 413, 413],
      results.map((r) => r.text).join('\n'),
    );
    for (const refused of results.filter((result) => result.status === 413))
      assert.equal(refused.body.error.code, 'quota_exceeded');
    const listed = await fetch(`${lane.balancer.media}/media`, {
      headers: { authorization: `Bearer ${user.accessToken}` },
    });
    const quota = (await listed.json()).quota;
    assert.deepEqual(quota, { used_bytes: 5 * size, max_bytes: QUOTA_BYTES });
  });

  test('a variant asked of both instances at once is generated once', { skip }, async () => {
    const user = await verifiedUser(lane);
    const image = await sharp({
      create: { width: 1600, height: 1200, channels: 3, background: { r: 40, g: 120, b: 200 } },
    })
      .jpeg()
      .toBuffer();
    const uploaded = await upload(media(1), user, 'photo.jpg', 'image/jpeg', image);
    assert.equal(uploaded.status, 201, uploaded.text);
    const before = await generatedVariants('medium');
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, index) =>
        download(media(index % 2 === 0 ? 1 : 2), user, uploaded.body.id, { query: '?variant=medium' }),
      ),
    );
    for (const answer of answers) {
      assert.equal(answer.status, 200);
      assert.ok(answer.bytes.equals(answers[0]!.bytes), 'every instance serves the one variant');
    }
    assert.equal((await sharp(answers[0]!.bytes).metadata()).format, 'jpeg');
    assert.equal((await generatedVariants('medium')) - before, 1, 'one generation over both instances');
    const variantObjects = (await s3Keys('')).filter(
      (key) =>
        key.includes(uploaded.body.id) &&
        key !== uploaded.body.storage_path &&
        !key.endsWith(uploaded.body.storage_path),
    );
    assert.equal(variantObjects.length, 1, `one variant object: ${variantObjects.join(', ')}`);
  });
});
