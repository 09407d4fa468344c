/**
 * Counts the assertions of an embedded C2PA manifest store by walking box headers only, before
 * the photo reaches c2pa-rs: c2pa-rs looks each assertion up linearly (c2pa-rs #1885, no limits
 * of its own), so reading time grows with the square of their number (1,000 → 0.35 s, 5,000 →
 * 6 s, 20,000 → 107 s measured), long before its memory does. Only the headers are read: no
 * CBOR, no hashing. Where the container or the store is not as expected, nothing is counted and
 * c2pa-rs (under its process limits) has the last word.
 */

import { ByteParts } from '../photos/photo-parts.js';

interface Span {
  start: number;
  end: number;
}

type Box = { type: string } & Span;

/** Box headers of `store[span]`: type, payload start and end (clamped to the span). */
function boxes(store: ByteParts, span: Span): Box[] {
  const found: Box[] = [];
  let offset = span.start;
  while (offset + 8 <= span.end) {
    let length = store.uint32(offset);
    let header = 8;
    if (length === 1) {
      if (offset + 16 > span.end) break;
      length = store.uint32(offset + 8) * 2 ** 32 + store.uint32(offset + 12);
      header = 16;
    } else if (length === 0) length = span.end - offset;
    if (length < header) break;
    const end = Math.min(offset + length, span.end);
    found.push({ type: store.text(offset + 4, offset + 8, 'latin1'), start: offset + header, end });
    offset = end;
  }
  return found;
}

/** The label of a JUMBF superbox's description box (`jumd`: 16-byte type, toggles, label). */
function labelOf(store: ByteParts, superbox: Span): string | undefined {
  const [description] = boxes(store, {
    start: superbox.start,
    end: Math.min(superbox.end, superbox.start + 512),
  });
  if (description?.type !== 'jumd') return undefined;
  if (!(store.byte(description.start + 16) & 0x02)) return undefined;
  const from = description.start + 17;
  const nul = store.indexOf(0, from, description.end);
  return store.text(from, nul < 0 ? description.end : nul);
}

/** The most assertions any manifest of a JUMBF manifest store holds. */
function mostAssertions(store: ByteParts): number {
  let most = 0;
  for (const top of boxes(store, { start: 0, end: store.length })) {
    if (top.type !== 'jumb') continue;
    for (const manifest of boxes(store, top)) {
      if (manifest.type !== 'jumb') continue;
      for (const part of boxes(store, manifest)) {
        if (part.type !== 'jumb' || labelOf(store, part) !== 'c2pa.assertions') continue;
        const count = boxes(store, part).filter((assertion) => assertion.type === 'jumb').length;
        most = Math.max(most, count);
      }
    }
  }
  return most;
}

/** JPEG: the JUMBF of the APP11 `JP` segments, reassembled per box instance (`En`). */
function jpegStores(jpeg: ByteParts): ByteParts[] {
  const instances = new Map<number, Buffer[]>();
  let offset = 2;
  while (offset + 4 <= jpeg.length && jpeg.byte(offset) === 0xff) {
    const marker = jpeg.byte(offset + 1);
    if (marker === 0xda || marker === 0xd9) break;
    if (marker === 0xff) {
      offset += 1; // fill byte
      continue;
    }
    const length = jpeg.uint16(offset + 2);
    const end = Math.min(offset + 2 + length, jpeg.length);
    if (marker === 0xeb && length >= 10 && jpeg.byte(offset + 4) === 0x4a && jpeg.byte(offset + 5) === 0x50) {
      const instance = jpeg.uint16(offset + 6);
      const parts = instances.get(instance) ?? [];
      // Marker, Le, CI, En, Z; every segment after the first repeats the box's LBox/TBox.
      parts.push(...jpeg.slice(Math.min(offset + 12 + (parts.length === 0 ? 0 : 8), end), end));
      instances.set(instance, parts);
    }
    offset = end;
  }
  return [...instances.values()].map((parts) => new ByteParts(parts));
}

/** PNG: the `caBX` chunks (each a whole JUMBF manifest store). */
function pngStores(png: ByteParts): ByteParts[] {
  const stores: ByteParts[] = [];
  let offset = 8;
  while (offset + 12 <= png.length) {
    const length = png.uint32(offset);
    const type = png.text(offset + 4, offset + 8, 'latin1');
    const end = Math.min(offset + 8 + length, png.length);
    if (type === 'caBX') stores.push(new ByteParts(png.slice(offset + 8, end)));
    if (type === 'IEND') break;
    offset = end + 4;
  }
  return stores;
}

const C2PA_UUID = Buffer.from('d8fec3d61b0e483c92975828877ec481', 'hex');
const MANIFEST = Buffer.from('manifest\0', 'latin1');

/** HEIF/BMFF: the top-level C2PA `uuid` box (usertype, version/flags, purpose, merkle offset, JUMBF). */
function bmffStores(file: ByteParts): ByteParts[] {
  const stores: ByteParts[] = [];
  for (const box of boxes(file, { start: 0, end: file.length })) {
    if (box.type !== 'uuid' || !file.matches(box.start, C2PA_UUID)) continue;
    const purposeAt = box.start + 16 + 4;
    if (!file.matches(purposeAt, MANIFEST)) continue;
    stores.push(new ByteParts(file.slice(purposeAt + MANIFEST.length + 8, box.end)));
  }
  return stores;
}

/** The most assertions one manifest of the photo's embedded C2PA store holds (0 if none found). */
export function countAssertions(photo: ByteParts, mimeType: string): number {
  const stores =
    mimeType === 'image/jpeg'
      ? jpegStores(photo)
      : mimeType === 'image/png'
        ? pngStores(photo)
        : bmffStores(photo);
  return stores.reduce((most, store) => Math.max(most, mostAssertions(store)), 0);
}
