import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MAX_IMAGE_PIXELS } from '@trustplane/vision';
import type { LightMyRequestResponse } from 'fastify';
import sharp from 'sharp';
import type { MediaRow } from '../src/db/types.js';
import { createVariantRepository } from '../src/db/variant-repository.js';
import type { MediaDatabase } from '../src/db/types.js';
import { createVariantService, VARIANT_MAX_SIDE } from '../src/media/variants.js';
import { bilevelPng, corruptPng } from './support/fixtures.js';
import { errorCode, type Harness, startHarness, type TestUser } from './support/harness.js';

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(async () => h?.close());

async function uploadPublic(user: TestUser, name: string, data: Buffer, type: string): Promise<string> {
  const response = await h.upload(user, { name, type, data }, '?visibility=public');
  assert.equal(response.statusCode, 201, response.body);
  return (response.json() as { id: string }).id;
}

/** Anonymous, as anyone may ask for a public media's variant. */
const variantOf = (id: string, variant: string) =>
  h.call({ method: 'GET', url: `/media/${id}?variant=${variant}` });

/** The service's own count of generation attempts (`/metrics`), by tier and outcome. */
async function attempts(variant: string, outcome: string): Promise<number> {
  const response = await h.booted.app.inject({ method: 'GET', url: '/metrics' });
  let total = 0;
  for (const line of response.body.split('\n')) {
    if (!line.startsWith('media_variant_generations_total{')) continue;
    if (!line.includes(`variant="${variant}"`) || !line.includes(`outcome="${outcome}"`)) continue;
    total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

async function failureRows(mediaId: string) {
  const { rows } = await h.booted.context
    .database()
    .pool.query('SELECT variant, reason FROM media_variant_failures WHERE media_id = $1', [mediaId]);
  return rows as { variant: string; reason: string }[];
}

/** Body of an error without its per-request id, to compare answers. */
function errorWithoutRequestId(response: LightMyRequestResponse) {
  const { request_id: _requestId, ...rest } = (response.json() as { error: Record<string, unknown> }).error;
  return { status: response.statusCode, ...rest };
}

describe('image bombs', () => {
  test('a 16000×16000 PNG of 31 KB: 20 concurrent variant requests, one refusal recorded, memory and /health unharmed', async () => {
    const bomb = bilevelPng(16_000, 16_000);
    assert.ok(bomb.length < 32 * 1024, `${bomb.length} bytes`);
    assert.ok(16_000 * 16_000 > MAX_IMAGE_PIXELS);
    const owner = await h.user();
    const id = await uploadPublic(owner, 'bomb.png', bomb, 'image/png');

    const rssBefore = process.memoryUsage().rss;
    const [health, ...answers] = await Promise.all([
      h.call({ method: 'GET', url: '/health' }),
      ...Array.from({ length: 20 }, () => variantOf(id, 'low')),
    ]);
    const rssGrowth = process.memoryUsage().rss - rssBefore;
    assert.equal(health?.statusCode, 200);
    assert.ok(rssGrowth < 200 * 1024 * 1024, `RSS grew by ${Math.round(rssGrowth / 1024 / 1024)} MB`);

    const expected = {
      status: 422,
      code: 'image_too_large',
      message: `Variants are made only from images of at most ${MAX_IMAGE_PIXELS} pixels; download the original instead`,
      max_pixels: MAX_IMAGE_PIXELS,
    };
    for (const answer of answers) {
      assert.equal(errorCode(answer), 'image_too_large');
      assert.deepEqual(errorWithoutRequestId(answer), expected);
    }
    assert.deepEqual(await failureRows(id), [{ variant: 'low', reason: 'image_too_large' }]);
    assert.equal(await attempts('low', 'image_too_large'), 1, 'decoded once for 20 requests');

    // Later requests answer the recorded refusal without opening the image again.
    assert.deepEqual(errorWithoutRequestId(await variantOf(id, 'lo')), expected);
    assert.equal(await attempts('low', 'image_too_large'), 1);
    // The original is the uploader's bytes, untouched and still served.
    const original = await h.call({ method: 'GET', url: `/media/${id}` });
    assert.equal(original.statusCode, 200);
    assert.deepEqual(original.rawPayload, bomb);
  });

  test('a 5000×4000 JPEG yields variants within each tier’s bounds', async () => {
    const photo = await sharp({ create: { width: 5000, height: 4000, channels: 3, background: '#4a7a2c' } })
      .jpeg({ quality: 90 })
      .toBuffer();
    const owner = await h.user();
    const id = await uploadPublic(owner, 'large.jpg', photo, 'image/jpeg');
    const expected = { high: [4096, 3277], medium: [2048, 1638], low: [1024, 819] } as const;
    for (const variant of ['high', 'medium', 'low'] as const) {
      const generatedBefore = await attempts(variant, 'generated');
      const answers = await Promise.all(Array.from({ length: 5 }, () => variantOf(id, variant)));
      for (const answer of answers) {
        assert.equal(answer.statusCode, 200, answer.body);
        assert.equal(answer.headers['content-type'], 'image/jpeg');
        assert.deepEqual(answer.rawPayload, answers[0]?.rawPayload);
      }
      const { width, height, format } = await sharp(answers[0]!.rawPayload).metadata();
      assert.equal(format, 'jpeg');
      assert.ok(Math.max(width, height) <= VARIANT_MAX_SIDE[variant]);
      assert.deepEqual([width, height], expected[variant]);
      assert.equal(await attempts(variant, 'generated'), generatedBefore + 1, `${variant} generated once`);
    }
  });

  test('a small image is never enlarged', async () => {
    const small = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#123456' } })
      .png()
      .toBuffer();
    const id = await uploadPublic(await h.user(), 'small.png', small, 'image/png');
    const answer = await variantOf(id, 'low');
    assert.equal(answer.statusCode, 200);
    const { width, height } = await sharp(answer.rawPayload).metadata();
    assert.deepEqual([width, height], [300, 200]);
  });

  test('a corrupt image fails once, and later requests answer the recorded error without decoding', async () => {
    const owner = await h.user();
    const id = await uploadPublic(owner, 'broken.png', corruptPng(), 'image/png');
    const before = await attempts('medium', 'undecodable');
    const first = await Promise.all(Array.from({ length: 5 }, () => variantOf(id, 'medium')));
    const expected = {
      status: 500,
      code: 'variant_generation_failed',
      message:
        'The original cannot be decoded as an image, so no variant can be made from it; the original is unchanged',
      reason: 'undecodable',
    };
    for (const answer of first) assert.deepEqual(errorWithoutRequestId(answer), expected);
    assert.deepEqual(await failureRows(id), [{ variant: 'medium', reason: 'undecodable' }]);
    assert.equal(await attempts('medium', 'undecodable'), before + 1);
    for (let round = 0; round < 3; round++)
      assert.deepEqual(errorWithoutRequestId(await variantOf(id, 'med')), expected);
    assert.equal(await attempts('medium', 'undecodable'), before + 1, 'not decoded again');
    const original = await h.call({ method: 'GET', url: `/media/${id}` });
    assert.equal(original.statusCode, 200);
  });

  test('two processes racing for the same variant generate it once (the database lock)', async () => {
    // Two variant services over one database stand for two processes: each has its own
    // single-flight map and lets decodes run side by side, so only the database lock orders them.
    const context = h.booted.context;
    const processes = [0, 1].map(() =>
      createVariantService({
        objects: context.objects,
        variants: createVariantRepository(context.database<MediaDatabase>()),
        logger: context.logger,
        decodeSlot: (work) => work(),
      }),
    );
    const owner = await h.user();
    const photo = await sharp({ create: { width: 1200, height: 900, channels: 3, background: '#aa3300' } })
      .jpeg()
      .toBuffer();
    const photoId = await uploadPublic(owner, 'race.jpg', photo, 'image/jpeg');
    const bombId = await uploadPublic(owner, 'race-bomb.png', bilevelPng(16_000, 16_000), 'image/png');
    const load = async (id: string) =>
      (await context
        .database<MediaDatabase>()
        .kysely.selectFrom('media')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirstOrThrow()) as MediaRow;
    const [photoRow, bombRow] = [await load(photoId), await load(bombId)];

    const rows = await Promise.all(
      processes.flatMap((service) => [0, 1, 2].map(() => service.ensure(photoRow, 'high'))),
    );
    assert.equal(new Set(rows.map((row) => row.storage_path)).size, 1);
    const counts = await Promise.all(processes.map((service) => service.generations.get()));
    const generated = counts
      .flatMap((metric) => metric.values)
      .filter((value) => value.labels.outcome === 'generated')
      .reduce((sum, value) => sum + value.value, 0);
    assert.equal(generated, 1);
    const dir = path.join(h.booted.dataDir, 'objects', 'media', path.dirname(rows[0]!.storage_path));
    const blobs = (await fs.readdir(dir)).filter(
      (name) => name.startsWith('high-') && !name.endsWith('.meta.json'),
    );
    assert.equal(blobs.length, 1, 'no second copy was written');

    const refusals = await Promise.allSettled(processes.map((service) => service.ensure(bombRow, 'medium')));
    for (const refusal of refusals) {
      assert.equal(refusal.status, 'rejected');
      assert.equal((refusal as PromiseRejectedResult).reason.code, 'image_too_large');
    }
    const tooLarge = (await Promise.all(processes.map((service) => service.generations.get())))
      .flatMap((metric) => metric.values)
      .filter((value) => value.labels.outcome === 'image_too_large')
      .reduce((sum, value) => sum + value.value, 0);
    assert.equal(tooLarge, 1);
  });
});
