import { randomFillSync } from 'node:crypto';

/** Ids minted per draw of random bytes (as `randomUUID`'s own cache, which holds 128). */
const BATCH = 256;
const UUID_LENGTH = 36;
const random = Buffer.allocUnsafe(16 * BATCH);
const text = Buffer.alloc(UUID_LENGTH * BATCH);
const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1');
const DASH = 0x2d;
/** The batch's ids, back to back, and the index of the next one to hand out. */
let batch = '';
let next = BATCH;

function mintBatch(): void {
  randomFillSync(random);
  let at = 0;
  for (let offset = 0; offset < random.length; offset += 16) {
    for (let index = 0; index < 16; index += 1) {
      let byte = random[offset + index]!;
      if (index === 6)
        byte = (byte & 0x0f) | 0x40; // version 4
      else if (index === 8) byte = (byte & 0x3f) | 0x80; // RFC 9562 variant
      text[at++] = HEX_DIGITS[byte >> 4]!;
      text[at++] = HEX_DIGITS[byte & 0x0f]!;
      if (index === 3 || index === 5 || index === 7 || index === 9) text[at++] = DASH;
    }
  }
  batch = text.toString('latin1');
  next = 0;
}

/**
 * A random (version 4) UUID, as `crypto.randomUUID()` makes (the same CSPRNG, the same form), for
 * every request that brings no id of its own. `randomUUID` builds each id by concatenating 20
 * pieces: a rope of small strings, allocated and then flattened again when the id is checked as a
 * header value and written, on every request. Here 256 ids are written as text at once and each id
 * is a slice of that one string: flat, and one small allocation per request. (A slice keeps its
 * batch's 9 KB string alive while the id is referenced: ids live as long as their request.)
 */
export function newRequestId(): string {
  if (next === BATCH) mintBatch();
  const start = next * UUID_LENGTH;
  next += 1;
  return batch.slice(start, start + UUID_LENGTH);
}
