import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { loadFaceEngine } from '../src/faces/face-engine.js';
import { errorLevelAnalysis } from '../src/forensics/ela.js';
import { moireAnalysis } from '../src/forensics/moire.js';
import { portraitCompressionGhost } from '../src/forensics/portrait-ghost.js';
import {
  decodeRgb,
  denoiseImage,
  IMAGE_DECODE_CONCURRENCY,
  ImageError,
  inspectImage,
  MAX_IMAGE_PIXELS,
  openImage,
  withImageDecodeSlot,
} from '../src/images/decode.js';
import { decodeGray } from '../src/images/grayscale.js';
import { createOcrPool, type OcrPool } from '../src/mrz/ocr-pool.js';
import { readMrz } from '../src/mrz/mrz-reader.js';

/** A plain grey PNG of `width`×`height`: a few dozen KB on disk, `width × height` pixels decoded. */
function greyPng(width: number, height: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: '#808080' } })
    .toColourspace('b-w')
    .png({ compressionLevel: 9 })
    .toBuffer();
}

async function refusedForPixels(work: () => Promise<unknown>): Promise<void> {
  await assert.rejects(work, (error: unknown) => {
    assert.ok(error instanceof ImageError, String(error));
    assert.equal(error.code, 'too_many_pixels');
    return true;
  });
}

describe('decode limits', () => {
  let bomb: Buffer;
  let pool: OcrPool;
  before(async () => {
    // 6400 × 6400 = 40.96 MP, just above the cap.
    bomb = await greyPng(6400, 6400);
    assert.ok(6400 * 6400 > MAX_IMAGE_PIXELS);
    pool = await createOcrPool({ size: 1 });
  });
  after(async () => pool?.close());

  it('every public decode entry refuses an image above 40 MP', { timeout: 120_000 }, async () => {
    assert.equal(MAX_IMAGE_PIXELS, 40_000_000);
    await assert.rejects(inspectImage(bomb), (error: unknown) => {
      assert.ok(error instanceof ImageError);
      assert.equal(error.code, 'too_many_pixels');
      return true;
    });
    await refusedForPixels(() => decodeRgb(bomb, 256));
    await refusedForPixels(() => decodeGray(bomb, 256));
    await refusedForPixels(() => denoiseImage(bomb));
    await refusedForPixels(() => errorLevelAnalysis(bomb));
    await refusedForPixels(() => moireAnalysis(bomb));
    await refusedForPixels(() => portraitCompressionGhost(bomb, { x: 100, y: 100, width: 400, height: 500 }));
    await refusedForPixels(() => readMrz(pool, bomb));
    const engine = await loadFaceEngine();
    await refusedForPixels(() => engine.detect(bomb));
    // The same cap for callers that build their own pipeline (media's variants).
    await refusedForPixels(() => withImageDecodeSlot(() => openImage(bomb).metadata()));
  });

  it('accepts an image just under the cap', { timeout: 120_000 }, async () => {
    const large = await greyPng(6000, 6000);
    const info = await inspectImage(large, 64 * 1024 * 1024);
    assert.deepEqual([info.width, info.height], [6000, 6000]);
  });

  it('never runs more sharp tasks at once than the decode slots allow', { timeout: 120_000 }, async () => {
    const image = await sharp({ create: { width: 1600, height: 1200, channels: 3, background: '#336699' } })
      .jpeg()
      .toBuffer();
    // sharp counts the tasks it has handed to libuv's pool (`queue`) and those running (`process`).
    // The two are read one after the other while a pool thread moves a task from one to the other,
    // so their sum can count one task twice: each is bounded on its own.
    let mostQueued = 0;
    let mostRunning = 0;
    const sampler = setInterval(() => {
      const { queue, process } = sharp.counters();
      mostQueued = Math.max(mostQueued, queue);
      mostRunning = Math.max(mostRunning, process);
    }, 1);
    try {
      await Promise.all([
        ...Array.from({ length: 4 }, () => decodeGray(image)),
        ...Array.from({ length: 4 }, () => decodeRgb(image)),
        ...Array.from({ length: 2 }, () => errorLevelAnalysis(image)),
        ...Array.from({ length: 2 }, () => moireAnalysis(image)),
        ...Array.from({ length: 2 }, () =>
          portraitCompressionGhost(image, { x: 400, y: 300, width: 400, height: 500 }),
        ),
      ]);
    } finally {
      clearInterval(sampler);
    }
    assert.ok(mostQueued + mostRunning >= 1, 'the sampler saw the decodes');
    assert.ok(
      mostRunning <= IMAGE_DECODE_CONCURRENCY,
      `${mostRunning} running at once, ${IMAGE_DECODE_CONCURRENCY} slots`,
    );
    assert.ok(
      mostQueued <= IMAGE_DECODE_CONCURRENCY,
      `${mostQueued} queued at once, ${IMAGE_DECODE_CONCURRENCY} slots`,
    );
  });
});
