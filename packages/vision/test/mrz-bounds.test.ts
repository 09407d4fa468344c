import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import sharp from 'sharp';
import { binarize, decodeGray } from '../src/images/grayscale.js';
import { readMrz } from '../src/mrz/mrz-reader.js';
import { createOcrPool, OCR_BUDGET_MS, type OcrPool, OcrTimeoutError } from '../src/mrz/ocr-pool.js';
import { measureTextStructure } from '../src/mrz/text-structure.js';
import { type ManifestEntry, readDocument, readManifest } from '../src/testkit/documents.js';

const manifest = await readManifest();
const passport = manifest.find((entry) => entry.id === 'td3-fra-martin') as ManifestEntry;

/** Per-pixel noise: what made Tesseract spend minutes per image before the structure check. */
function noise(width: number, height: number, seed = 7): Buffer {
  const pixels = Buffer.alloc(width * height * 3);
  let state = seed;
  for (let index = 0; index < pixels.length; index += 1) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    pixels[index] = state >>> 24;
  }
  return pixels;
}

function noiseJpeg(width: number, height: number): Promise<Buffer> {
  return sharp(noise(width, height), { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 90 })
    .toBuffer();
}

/** The passport page with a band of noise pasted over it (`top`, `height` in its pixels). */
async function withNoiseBand(top: number, height: number): Promise<Buffer> {
  const recto = await readDocument(passport.recto);
  const { width = 0 } = await sharp(recto).metadata();
  const band = await sharp(noise(width, height, 11), { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
  return sharp(recto)
    .composite([{ input: band, left: 0, top }])
    .jpeg({ quality: 90 })
    .toBuffer();
}

/** The passport's MRZ band, as the pool receives it. */
async function passportBand(): Promise<Buffer> {
  return sharp(await readDocument(passport.recto))
    .extract({ left: 0, top: 620, width: 1250, height: 260 })
    .png()
    .toBuffer();
}

/**
 * Threads of this process that spin on a CPU until stopped (other requests' work, as far as the
 * CPU clocks can tell); resolves once every one of them is spinning.
 */
async function spinningThreads(count: number): Promise<{ stop(): Promise<void> }> {
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const source = `
    const { parentPort, workerData } = require('node:worker_threads');
    const flag = new Int32Array(workerData);
    parentPort.postMessage('spinning');
    let x = 0;
    while (Atomics.load(flag, 0) === 0) x = (x * 31 + 7) | 0;
  `;
  const threads = Array.from(
    { length: count },
    () => new Worker(source, { eval: true, workerData: flag.buffer }),
  );
  await Promise.all(threads.map((thread) => new Promise((resolve) => thread.once('message', resolve))));
  return {
    async stop() {
      Atomics.store(flag, 0, 1);
      await Promise.all(threads.map((thread) => new Promise((resolve) => thread.once('exit', resolve))));
    },
  };
}

describe('bounded MRZ reading on hostile images', () => {
  let pool: OcrPool;
  before(async () => {
    pool = await createOcrPool();
  });
  after(async () => pool?.close());

  it('refuses per-pixel noise before OCR: no MRZ, no recognition run', async () => {
    const before = pool.stats().recognitions;
    const reading = await readMrz(pool, await noiseJpeg(1600, 1000));
    assert.equal(reading.found, false);
    assert.equal(reading.ocr.passes, 0);
    assert.equal(reading.ocr.skipped, 4);
    assert.equal(reading.ocr.timedOut, false);
    assert.equal(pool.stats().recognitions, before);
  });

  it('finds no stack of text rows in noise, a blank page or a photo, and finds the MRZ rows of a document', async () => {
    const structure = async (bytes: Buffer) => measureTextStructure(binarize(await decodeGray(bytes, 1400)));
    assert.equal((await structure(await noiseJpeg(800, 500))).band, null);
    const blank = await sharp({ create: { width: 1200, height: 800, channels: 3, background: '#f4f1ea' } })
      .jpeg()
      .toBuffer();
    assert.equal((await structure(blank)).band, null);
    const document = await structure(await readDocument(passport.recto));
    assert.ok(document.band, JSON.stringify(document));
    assert.equal(document.stackGlyphs, 88, 'the two 44-character lines of the passport');
  });

  it('refuses a page whose MRZ is covered by noise, without OCR', async () => {
    const reading = await readMrz(pool, await withNoiseBand(620, 260));
    assert.equal(reading.found, false);
    assert.equal(reading.ocr.passes, 0);
    assert.equal(reading.ocr.timedOut, false);
  });

  it('reads the MRZ of a page with noise pasted above it: OCR reads only the rows', async () => {
    const reading = await readMrz(pool, await withNoiseBand(150, 300));
    assert.equal(reading.valid, true, JSON.stringify(reading));
    assert.deepEqual(reading.lines, passport.mrz);
    assert.equal(reading.ocr.passes, 1);
  });

  it('refuses a huge blank image without OCR', async () => {
    const blank = await sharp({ create: { width: 4000, height: 4000, channels: 3, background: '#ffffff' } })
      .png()
      .toBuffer();
    const reading = await readMrz(pool, blank);
    assert.equal(reading.found, false);
    assert.equal(reading.ocr.passes, 0);
  });

  it('stops at the OCR budget: the image is unreadable, the worker is replaced and the next image reads', async () => {
    const stats = pool.stats();
    const page = await readDocument(passport.recto);
    const cut = await readMrz(pool, page, { ocrBudgetMs: 1 });
    assert.equal(cut.found, false);
    assert.equal(cut.ocr.timedOut, true);
    assert.equal(cut.ocr.passes, 1);
    assert.equal(pool.stats().timeouts, stats.timeouts + 1);
    assert.equal(pool.stats().respawns, stats.respawns + 1);
    const spent = await readMrz(pool, page, { ocrBudgetMs: 0 });
    assert.deepEqual([spent.found, spent.ocr.passes, spent.ocr.timedOut], [false, 0, true]);
    const reading = await readMrz(pool, page);
    assert.equal(reading.valid, true);
    assert.deepEqual(reading.lines, passport.mrz);
    assert.equal(reading.ocr.timedOut, false);
  });

  it('rejects a recognition past its budget with OcrTimeoutError, and keeps serving the queue', async () => {
    const png = await passportBand();
    const [late, next] = await Promise.allSettled([
      pool.recognize(png, { budget: { remainingMs: 1 } }),
      pool.recognize(png),
    ]);
    assert.equal(late.status, 'rejected');
    assert.ok((late as PromiseRejectedResult).reason instanceof OcrTimeoutError);
    assert.equal(next.status, 'fulfilled');
    assert.ok((next as PromiseFulfilledResult<unknown[]>).value.length > 0);
  });

  it("charges a recognition with its own thread's CPU: threads busy beside it do not eat its budget", async () => {
    assert.equal(pool.stats().cpuClock, 'thread', 'Linux: each worker thread is charged on its own clock');
    const png = await passportBand();
    // What this recognition costs its thread, alone.
    const alone = { remainingMs: OCR_BUDGET_MS };
    const expected = (await pool.recognize(png, { budget: alone })).map((line) => line.text);
    const cost = OCR_BUDGET_MS - alone.remainingMs;
    assert.ok(cost > 0 && cost < OCR_BUDGET_MS, `cost ${cost} ms`);
    // The same recognition with a budget it fits in alone, while four threads of this process spin:
    // the process burns about five times the recognition's CPU meanwhile.
    const budgetMs = Math.ceil(cost * 2.5);
    const spinning = await spinningThreads(4);
    const processFrom = process.cpuUsage();
    let lines: string[];
    let processMs: number;
    try {
      lines = (await pool.recognize(png, { budget: { remainingMs: budgetMs } })).map((line) => line.text);
    } finally {
      const used = process.cpuUsage(processFrom);
      processMs = (used.user + used.system) / 1000;
      await spinning.stop();
    }
    assert.deepEqual(lines, expected);
    // The case is the one the budget must survive: charged with the process's CPU, it would have been cut.
    assert.ok(processMs > budgetMs, `process CPU ${processMs} ms during a recognition given ${budgetMs} ms`);
  });
});
