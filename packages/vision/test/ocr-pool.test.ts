import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { lazyOcrPool } from '../src/mrz/ocr-pool.js';

describe('lazy OCR pool (shared by kyc and biometry)', () => {
  it('starts once for concurrent first callers, and a closed pool is replaced on the next use', async () => {
    const lazy = lazyOcrPool({ size: 1 });
    // Closing a pool nobody used starts nothing and does not throw.
    await lazy.close();

    const [first, second] = await Promise.all([lazy.get(), lazy.get()]);
    assert.equal(first, second);
    assert.equal(await lazy.get(), first);

    await lazy.close();
    await assert.rejects(first.recognize(Buffer.alloc(0)), /OCR pool is closed/);

    const blank = await sharp({ create: { width: 200, height: 60, channels: 3, background: '#fff' } })
      .png()
      .toBuffer();
    const restarted = await lazy.get();
    assert.notEqual(restarted, first);
    assert.ok(Array.isArray(await restarted.recognize(blank)));
    await lazy.close();
  });
});
