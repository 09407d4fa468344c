/**
 * Renders the 37 MRZ characters in OCR-B (Debian `fonts-ocr-b`, public domain) and stores
 * them, normalised like OCR'd glyphs, in `src/mrz/ocr-b-templates.json`: the reference shapes
 * that settle look-alikes (0/O, 5/S, 2/Z, 8/B…). Run: `npx tsx packages/vision/scripts/generate-ocrb-templates.ts`.
 */
import fs from 'node:fs/promises';
import sharp from 'sharp';
import { binarize } from '../src/images/grayscale.js';
import { normaliseGlyph } from '../src/mrz/glyphs.js';
import { MRZ_ALPHABET } from '../src/mrz/ocr-pool.js';

const SIZE = 96;
const templates: Record<string, string> = {};
// Cap height of the font at this size, from a glyph that fills it.
let capHeight = 0;
const rendered = new Map<string, { data: Uint8Array; width: number; height: number }>();
for (const char of MRZ_ALPHABET) {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="120" height="140"><rect width="100%" height="100%" fill="#fff"/><text x="20" y="110" font-family="OCR B" font-size="${SIZE}" fill="#000">${char === '<' ? '&lt;' : char}</text></svg>`;
  const { data, info } = await sharp(Buffer.from(svg))
    .grayscale()
    .extractChannel(0)
    .raw()
    .toBuffer({ resolveWithObject: true });
  const image = binarize({ data: new Uint8Array(data), width: info.width, height: info.height }, 128);
  rendered.set(char, image);
  if (char === 'E') {
    let top = image.height;
    let bottom = 0;
    for (let y = 0; y < image.height; y += 1)
      for (let x = 0; x < image.width; x += 1)
        if ((image.data[y * image.width + x] as number) < 128) {
          top = Math.min(top, y);
          bottom = Math.max(bottom, y);
        }
    capHeight = bottom - top + 1;
  }
}
for (const [char, image] of rendered) {
  const glyph = await normaliseGlyph(image, { x0: 0, y0: 0, x1: image.width, y1: image.height }, capHeight);
  if (!glyph) throw new Error(`no ink for ${char}`);
  templates[char] = Buffer.from(Uint8Array.from(glyph)).toString('base64');
}
const out = new URL('../src/mrz/ocr-b-templates.json', import.meta.url);
await fs.writeFile(
  out,
  `${JSON.stringify({ font: 'OCR-B (fonts-ocr-b, public domain)', width: 24, height: 32, templates }, null, 1)}\n`,
);
process.stdout.write(`wrote ${Object.keys(templates).length} templates\n`);
