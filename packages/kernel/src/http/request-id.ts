import { randomFillSync } from 'node:crypto';

/** Random bytes drawn at once: 256 ids' worth, refilled when spent (as `randomUUID`'s own cache). */
const POOL_IDS = 256;
const pool = Buffer.allocUnsafe(16 * POOL_IDS);
let poolOffset = pool.length;
/** The id's text is written here, then read out as one flat string. */
const text = Buffer.alloc(36);
const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1');
const DASH = 0x2d;

/**
 * A random (version 4) UUID, the same as `crypto.randomUUID()` (from the same CSPRNG, in the same
 * form), minted for every request that brings no id of its own. Node's `randomUUID` builds its text
 * by concatenating 20 pieces, a rope that is flattened again when the id is checked as a header
 * value and written; here the text is written into a buffer and read out once as a flat string,
 * with no rope to allocate and collect per request.
 */
export function newRequestId(): string {
  if (poolOffset === pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  let at = 0;
  for (let index = 0; index < 16; index += 1) {
    let byte = pool[poolOffset + index]!;
    if (index === 6)
      byte = (byte & 0x0f) | 0x40; // version 4
    else if (index === 8) byte = (byte & 0x3f) | 0x80; // RFC 9562 variant
    text[at++] = HEX_DIGITS[byte >> 4]!;
    text[at++] = HEX_DIGITS[byte & 0x0f]!;
    if (index === 3 || index === 5 || index === 7 || index === 9) text[at++] = DASH;
  }
  poolOffset += 16;
  return text.toString('latin1', 0, 36);
}
