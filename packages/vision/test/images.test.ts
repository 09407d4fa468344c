import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { ImageError, inspectImage, sniffImageFormat } from '../src/images/decode.js';

const pixels = () => sharp({ create: { width: 32, height: 24, channels: 3, background: '#3366aa' } });

describe('image validation', () => {
  it('identifies JPEG, PNG and WebP by magic bytes only', async () => {
    assert.equal(sniffImageFormat(await pixels().jpeg().toBuffer()), 'jpeg');
    assert.equal(sniffImageFormat(await pixels().png().toBuffer()), 'png');
    assert.equal(sniffImageFormat(await pixels().webp().toBuffer()), 'webp');
    assert.equal(sniffImageFormat(await pixels().gif().toBuffer()), undefined);
    assert.equal(sniffImageFormat(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>')), undefined);
  });

  it('accepts a decodable image and reports its oriented size', async () => {
    const rotated = await pixels().jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const info = await inspectImage(rotated);
    assert.deepEqual([info.format, info.width, info.height], ['jpeg', 24, 32]);
  });

  it('refuses empty, oversized, foreign and truncated files with a reason code', async () => {
    const jpeg = await pixels().jpeg().toBuffer();
    const code = async (bytes: Uint8Array, max?: number) => {
      try {
        await inspectImage(bytes, max);
        return 'accepted';
      } catch (error) {
        assert.ok(error instanceof ImageError);
        return error.code;
      }
    };
    assert.equal(await code(new Uint8Array()), 'empty');
    assert.equal(await code(jpeg, 100), 'too_large');
    assert.equal(await code(Buffer.from('GIF89a....')), 'unsupported_format');
    assert.equal(await code(jpeg.subarray(0, Math.floor(jpeg.length / 2))), 'undecodable');
  });
});
