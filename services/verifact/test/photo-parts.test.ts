import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { describe, test } from 'node:test';
import { sniffPhoto, SNIFF_BYTES } from '../src/photos/photo-bytes.js';
import { ByteParts } from '../src/photos/photo-parts.js';
import { readHeaderExif } from '../src/verify/header-exif.js';
import { countAssertions } from '../src/verify/manifest-store-bounds.js';
import { fixture, signCapture } from './support/captures.js';
import { FIXTURES } from './support/harness.js';
import { multiplyAssertion, readJumbf, writeJumbf } from './support/jumbf.js';

const NAMES = readdirSync(FIXTURES).filter((name) => /\.(jpe?g|heic)$/i.test(name));

/** The bytes cut every `size` bytes, as a request's chunks arrive. */
function chunked(bytes: Buffer, size: number): ByteParts {
  const parts: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) parts.push(bytes.subarray(at, at + size));
  return new ByteParts(parts);
}

// A verified photo is read in the chunks it arrived in (no joined copy): whatever the cuts, the
// service must see what it saw in one buffer.
describe('a photo read in its chunks', () => {
  test('the 21 fixtures, cut in 1,000- and 65,536-byte chunks: same sha-256, type, assertion count and header EXIF as whole', async () => {
    assert.equal(NAMES.length, 21);
    for (const name of NAMES) {
      const bytes = fixture(name);
      const whole = new ByteParts([bytes]);
      const type = await sniffPhoto(bytes);
      const assertions = countAssertions(whole, type);
      // Every fixture carrying a manifest is seen to (IMG_0003.jpg and sample1.heic carry none).
      assert.equal(
        assertions === 0,
        ['IMG_0003.jpg', 'sample1.heic'].includes(name),
        `${name}: ${assertions}`,
      );
      // The header EXIF as exifr reads it from the whole file.
      const exif = JSON.stringify(await readHeaderExif(whole, 'image/heic'));
      for (const size of [1000, 65_536]) {
        const parts = chunked(bytes, size);
        assert.equal(parts.sha256Hex(), createHash('sha256').update(bytes).digest('hex'), name);
        assert.equal(await sniffPhoto(parts.head(SNIFF_BYTES)), type, name);
        assert.equal(countAssertions(parts, type), assertions, `${name} in ${size}-byte chunks`);
        assert.equal(
          JSON.stringify(await readHeaderExif(parts, type)),
          exif,
          `${name} in ${size}-byte chunks`,
        );
        assert.ok(parts.whole().equals(bytes));
      }
    }
  });

  test('a grown manifest store, spread over many APP11 segments and chunks, is counted whole', () => {
    const signed = signCapture({ extra: { 'com.example.bomb.00000': { i: 0 } } });
    const grown = writeJumbf(signed, multiplyAssertion(readJumbf(signed), 'com.example.bomb.00000', 3_000));
    assert.equal(countAssertions(new ByteParts([grown]), 'image/jpeg'), 3_000);
    assert.equal(countAssertions(chunked(grown, 4096), 'image/jpeg'), 3_000);
  });
});
