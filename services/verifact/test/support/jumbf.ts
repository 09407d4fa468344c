import { createHash } from 'node:crypto';
import { Decoder, Encoder } from 'cbor-x';

/**
 * Just enough JUMBF (ISO 19566-5) in JPEG APP11 to build manifest bombs in tests: the manifest
 * store is reassembled from its APP11 segments, edited as a box tree and segmented again.
 */

interface Box {
  type: string;
  /** The whole box, header included. */
  bytes: Buffer;
  /** Offset of the payload within `bytes`. */
  payloadAt: number;
}

function parseBoxes(buffer: Buffer): Box[] {
  const boxes: Box[] = [];
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    let length = buffer.readUInt32BE(offset);
    let header = 8;
    if (length === 1) {
      length = Number(buffer.readBigUInt64BE(offset + 8));
      header = 16;
    } else if (length === 0) length = buffer.length - offset;
    const type = buffer.toString('latin1', offset + 4, offset + 8);
    boxes.push({ type, bytes: buffer.subarray(offset, offset + length), payloadAt: header });
    offset += length;
  }
  return boxes;
}

function box(type: string, children: Buffer[]): Buffer {
  const payload = Buffer.concat(children);
  const header = Buffer.alloc(8);
  header.writeUInt32BE(payload.length + 8);
  header.write(type, 4, 'latin1');
  return Buffer.concat([header, payload]);
}

const superbox = (children: Buffer[]) => box('jumb', children);
const cbor = {
  decoder: new Decoder({ mapsAsObjects: true, useRecords: false }),
  encoder: new Encoder({ mapsAsObjects: true, useRecords: false, tagUint8Array: false }),
};

/** The label of a `jumb` superbox (from its `jumd` description box), or undefined. */
function labelOf(box: Box): string | undefined {
  if (box.type !== 'jumb') return undefined;
  const [description] = parseBoxes(box.bytes.subarray(box.payloadAt));
  if (description?.type !== 'jumd') return undefined;
  const payload = description.bytes.subarray(description.payloadAt);
  const toggles = payload[16] ?? 0;
  if (!(toggles & 0x02)) return undefined;
  const end = payload.indexOf(0, 17);
  return payload.toString('utf8', 17, end < 0 ? undefined : end);
}

function childrenOf(box: Box): Box[] {
  return parseBoxes(box.bytes.subarray(box.payloadAt));
}

const APP11 = 0xeb;

/** APP11 segments of a JPEG carrying JUMBF (`JP` common identifier), in file order. */
function app11Segments(jpeg: Buffer): { start: number; end: number }[] {
  const segments: { start: number; end: number }[] = [];
  let offset = 2;
  while (offset + 4 <= jpeg.length && jpeg[offset] === 0xff) {
    const marker = jpeg[offset + 1] as number;
    if (marker === 0xda) break;
    const length = jpeg.readUInt16BE(offset + 2);
    if (marker === APP11 && jpeg.toString('latin1', offset + 4, offset + 6) === 'JP')
      segments.push({ start: offset, end: offset + 2 + length });
    offset += 2 + length;
  }
  return segments;
}

/** The C2PA manifest store of a JPEG, reassembled from its APP11 segments. */
export function readJumbf(jpeg: Buffer): Buffer {
  const segments = app11Segments(jpeg);
  if (segments.length === 0) throw new Error('no JUMBF in this JPEG');
  const parts = segments.map(({ start, end }, index) =>
    // Each segment: marker, Le, CI 'JP', En, Z; every segment after the first repeats LBox/TBox.
    jpeg.subarray(start + 12 + (index === 0 ? 0 : 8), end),
  );
  return Buffer.concat(parts);
}

/** The JPEG with its manifest store replaced by `jumbf`, segmented as c2pa-rs writes it. */
export function writeJumbf(jpeg: Buffer, jumbf: Buffer): Buffer {
  const segments = app11Segments(jpeg);
  const first = segments[0];
  const last = segments.at(-1);
  if (!first || !last) throw new Error('no JUMBF in this JPEG');
  const instance = jpeg.readUInt16BE(first.start + 6);
  const boxHeader = jumbf.subarray(0, 8);
  const out: Buffer[] = [];
  const maxFirst = 0xffff - 2 - 8;
  const maxNext = maxFirst - 8;
  let offset = 0;
  for (let sequence = 1; offset < jumbf.length; sequence += 1) {
    const room = sequence === 1 ? maxFirst : maxNext;
    const chunk = jumbf.subarray(offset, offset + room);
    offset += chunk.length;
    const head = Buffer.alloc(12);
    head.writeUInt16BE(0xffeb, 0);
    head.writeUInt16BE(2 + 8 + (sequence === 1 ? 0 : 8) + chunk.length, 2);
    head.write('JP', 4, 'latin1');
    head.writeUInt16BE(instance, 6);
    head.writeUInt32BE(sequence, 8);
    out.push(head, ...(sequence === 1 ? [] : [boxHeader]), chunk);
  }
  return Buffer.concat([jpeg.subarray(0, first.start), ...out, jpeg.subarray(last.end)]);
}

/**
 * Grows the active manifest to `count` assertions by copying the assertion labelled `template`
 * under labels of the same length (`template` must end in zero digits: `com.example.bomb.00000`)
 * and referencing each copy from the claim with its right hash. The claim signature no longer
 * matches (signing 50k assertions with c2pa-rs takes minutes: its assertion lookups are
 * quadratic), but a reader must parse and hash-check the whole store before it can tell.
 */
export function multiplyAssertion(jumbf: Buffer, template: string, count: number): Buffer {
  const digits = /0+$/.exec(template)?.[0].length ?? 0;
  if (digits === 0 || String(count).length > digits) throw new Error(`${template} has too few digits`);
  const prefix = template.slice(0, template.length - digits);
  const [store] = parseBoxes(jumbf);
  if (!store) throw new Error('empty JUMBF');
  const storeChildren = childrenOf(store);
  const manifestIndex = storeChildren.length - 1; // the active manifest is the last one
  const manifest = storeChildren[manifestIndex] as Box;
  const manifestChildren = childrenOf(manifest);
  const assertionsIndex = manifestChildren.findIndex((box) => labelOf(box) === 'c2pa.assertions');
  const assertions = manifestChildren[assertionsIndex];
  if (!assertions) throw new Error('no assertion store');
  const assertionBoxes = childrenOf(assertions);
  const original = assertionBoxes.find((box) => labelOf(box) === template);
  if (!original) throw new Error(`no assertion ${template}`);
  const labelAt = original.bytes.indexOf(Buffer.from(`${template}\0`, 'utf8'));
  const copies: Buffer[] = [];
  const references: { url: string; hash: Buffer }[] = [];
  for (let index = 1; index < count - assertionBoxes.length + 2; index += 1) {
    const label = `${prefix}${String(index).padStart(digits, '0')}`;
    const copy = Buffer.from(original.bytes);
    copy.write(label, labelAt, 'utf8');
    copies.push(copy);
    // A hashed URI hashes the assertion superbox without its own 8-byte header.
    const hash = createHash('sha256').update(copy.subarray(8)).digest();
    references.push({ url: `self#jumbf=c2pa.assertions/${label}`, hash });
  }
  const grown = superbox([...assertionBoxes.map((child) => child.bytes), ...copies]);
  const claimIndex = manifestChildren.findIndex((child) => labelOf(child)?.startsWith('c2pa.claim'));
  const claimBox = manifestChildren[claimIndex];
  if (!claimBox) throw new Error('no claim');
  const [description, content] = childrenOf(claimBox);
  if (!description || content?.type !== 'cbor') throw new Error('claim is not CBOR');
  const claim = cbor.decoder.decode(content.bytes.subarray(content.payloadAt)) as Record<string, unknown>;
  const listName = 'gathered_assertions' in claim ? 'gathered_assertions' : 'assertions';
  claim[listName] = [...((claim[listName] as unknown[]) ?? []), ...references];
  const newClaim = superbox([description.bytes, box('cbor', [cbor.encoder.encode(claim)])]);
  const newManifest = superbox(
    manifestChildren.map((child, index) =>
      index === assertionsIndex ? grown : index === claimIndex ? newClaim : child.bytes,
    ),
  );
  return superbox(storeChildren.map((child, index) => (index === manifestIndex ? newManifest : child.bytes)));
}

/**
 * Replaces the CBOR content of the active manifest's assertion `label` with `content` (raw CBOR)
 * and updates the claim's hash of it, so only the claim signature and the data hash tell.
 */
export function replaceAssertionContent(jumbf: Buffer, label: string, content: Buffer): Buffer {
  const [store] = parseBoxes(jumbf);
  if (!store) throw new Error('empty JUMBF');
  const storeChildren = childrenOf(store);
  const manifestIndex = storeChildren.length - 1;
  const manifestChildren = childrenOf(storeChildren[manifestIndex] as Box);
  const assertionsIndex = manifestChildren.findIndex((child) => labelOf(child) === 'c2pa.assertions');
  const assertionBoxes = childrenOf(manifestChildren[assertionsIndex] as Box);
  const targetIndex = assertionBoxes.findIndex((child) => labelOf(child) === label);
  const target = assertionBoxes[targetIndex];
  if (!target) throw new Error(`no assertion ${label}`);
  const [description, old] = childrenOf(target);
  if (!description || old?.type !== 'cbor') throw new Error(`${label} is not CBOR`);
  const replaced = superbox([description.bytes, box('cbor', [content])]);
  const hash = createHash('sha256').update(replaced.subarray(8)).digest();
  const claimIndex = manifestChildren.findIndex((child) => labelOf(child)?.startsWith('c2pa.claim'));
  const [claimDescription, claimContent] = childrenOf(manifestChildren[claimIndex] as Box);
  if (!claimDescription || !claimContent) throw new Error('no claim');
  const claim = cbor.decoder.decode(claimContent.bytes.subarray(claimContent.payloadAt)) as Record<
    string,
    { url: string; hash: Buffer }[]
  >;
  for (const list of ['created_assertions', 'gathered_assertions', 'assertions']) {
    for (const reference of claim[list] ?? []) {
      if (reference.url.endsWith(`/${label}`)) reference.hash = hash;
    }
  }
  const newClaim = superbox([claimDescription.bytes, box('cbor', [cbor.encoder.encode(claim)])]);
  const grown = superbox(
    assertionBoxes.map((child, index) => (index === targetIndex ? replaced : child.bytes)),
  );
  const newManifest = superbox(
    manifestChildren.map((child, index) =>
      index === assertionsIndex ? grown : index === claimIndex ? newClaim : child.bytes,
    ),
  );
  return superbox(storeChildren.map((child, index) => (index === manifestIndex ? newManifest : child.bytes)));
}
