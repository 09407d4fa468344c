import phashModule from 'sharp-phash';
import { MAX_IMAGE_PIXELS } from './decode.js';

// sharp-phash is CommonJS; under NodeNext its default import is the module object.
const phash = ((phashModule as unknown as { default?: typeof phashModule }).default ??
  phashModule) as unknown as (image: Buffer, options?: object) => Promise<string>;

/** 64-bit DCT perceptual hash (sharp-phash) as a string of 64 `0`/`1`. */
export async function perceptualHash(image: Uint8Array): Promise<string> {
  return phash(Buffer.from(image), { limitInputPixels: MAX_IMAGE_PIXELS });
}

/** Bits that differ between two perceptual hashes; ≤ 10 of 64 is the usual "same picture" bound. */
export function hammingDistance(a: string, b: string): number {
  if (a.length !== b.length) return Math.max(a.length, b.length);
  let distance = 0;
  for (let index = 0; index < a.length; index += 1) if (a[index] !== b[index]) distance += 1;
  return distance;
}
