import { createRequire } from 'node:module';
import type { GrayImage } from '../images/grayscale.js';
import { glyphSimilarity, normaliseGlyph } from './glyphs.js';
import type { OcrLine } from './ocr-pool.js';

const require = createRequire(import.meta.url);

let templates: Map<string, Float32Array> | undefined;

/** OCR-B reference glyphs (rendered from the public-domain font by scripts/generate-ocrb-templates.ts). */
function ocrbTemplates(): Map<string, Float32Array> {
  if (!templates) {
    const file: { templates: Record<string, string> } = require('./ocr-b-templates.json');
    templates = new Map(
      Object.entries(file.templates).map(([char, base64]) => [
        char,
        Float32Array.from(Buffer.from(base64, 'base64')),
      ]),
    );
  }
  return templates;
}

/** Look-alike families of OCR-B that Tesseract's generic English model confuses. */
const FAMILIES = ['0ODQ', '1I', '2Z', '5S8B', '6GC', 'NWH', 'MN', 'KX'];
const FAMILY_OF = new Map<string, string>();
for (const family of FAMILIES)
  for (const char of family) FAMILY_OF.set(char, (FAMILY_OF.get(char) ?? '') + family);

export interface Reclassification {
  line: number;
  index: number;
  from: string;
  to: string;
  margin: number;
}

/**
 * Re-reads every symbol of a look-alike family against the OCR-B shapes of its family and
 * keeps Tesseract's reading unless another member fits clearly better (`margin`). MRZs are
 * printed in OCR-B by ICAO rule, so the font's own shapes are the right reference.
 */
export async function reclassifyLookalikes(
  image: GrayImage,
  lines: OcrLine[],
  margin = 0.04,
): Promise<{ lines: OcrLine[]; changes: Reclassification[] }> {
  const reference = ocrbTemplates();
  const changes: Reclassification[] = [];
  const out: OcrLine[] = [];
  for (const [lineIndex, line] of lines.entries()) {
    const heights = line.symbols
      .filter((symbol) => /[A-Z0-9]/.test(symbol.text) && symbol.bbox)
      .map((symbol) => (symbol.bbox as { y1: number; y0: number }).y1 - (symbol.bbox as { y0: number }).y0)
      .sort((a, b) => a - b);
    const capHeight = heights.length ? (heights[Math.floor(heights.length / 2)] as number) : undefined;
    const symbols = [];
    for (const [index, symbol] of line.symbols.entries()) {
      const family = FAMILY_OF.get(symbol.text);
      if (!family || !symbol.bbox) {
        symbols.push(symbol);
        continue;
      }
      const glyph = await normaliseGlyph(image, symbol.bbox, capHeight);
      if (!glyph) {
        symbols.push(symbol);
        continue;
      }
      const current = glyphSimilarity(glyph, reference.get(symbol.text) as Float32Array);
      let best = symbol.text;
      let bestScore = current;
      for (const candidate of new Set(family)) {
        const score = glyphSimilarity(glyph, reference.get(candidate) as Float32Array);
        if (score > bestScore) {
          bestScore = score;
          best = candidate;
        }
      }
      if (best !== symbol.text && bestScore - current >= margin) {
        changes.push({ line: lineIndex, index, from: symbol.text, to: best, margin: bestScore - current });
        symbols.push({ ...symbol, text: best });
      } else symbols.push(symbol);
    }
    out.push({ ...line, symbols, text: symbols.map((symbol) => symbol.text).join('') });
  }
  return { lines: out, changes };
}
