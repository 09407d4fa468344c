import sharp from 'sharp';
import type { GrayImage } from '../images/grayscale.js';

/** Size every glyph is normalised to before comparison (aspect kept, centred on white). */
export const GLYPH_WIDTH = 24;
export const GLYPH_HEIGHT = 32;

export interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** Shrinks a box to the ink (dark pixels) inside it; undefined when it holds no ink. */
export function inkBox(image: GrayImage, box: Box, threshold = 128): Box | undefined {
  let x0 = Number.POSITIVE_INFINITY;
  let y0 = Number.POSITIVE_INFINITY;
  let x1 = -1;
  let y1 = -1;
  const left = Math.max(0, Math.floor(box.x0));
  const right = Math.min(image.width, Math.ceil(box.x1));
  const top = Math.max(0, Math.floor(box.y0));
  const bottom = Math.min(image.height, Math.ceil(box.y1));
  for (let y = top; y < bottom; y += 1) {
    for (let x = left; x < right; x += 1) {
      if ((image.data[y * image.width + x] as number) < threshold) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  return x1 < 0 ? undefined : { x0, y0, x1: x1 + 1, y1: y1 + 1 };
}

/**
 * The glyph in `box`, cut to its ink, scaled (aspect kept) into GLYPH_WIDTH×GLYPH_HEIGHT
 * on white. Height is the reference: MRZ glyphs share a cap height, so a narrow `1` stays narrow.
 */
export async function normaliseGlyph(
  image: GrayImage,
  box: Box,
  capHeight?: number,
): Promise<Float32Array | undefined> {
  const ink = inkBox(image, box);
  if (!ink) return undefined;
  const width = ink.x1 - ink.x0;
  const height = ink.y1 - ink.y0;
  const crop = new Uint8Array(width * height);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1)
      crop[y * width + x] = image.data[(ink.y0 + y) * image.width + ink.x0 + x] as number;
  }
  // Scale by the line's cap height when known, so `<` and `-`-like glyphs keep their size.
  const reference = Math.max(height, capHeight ?? height);
  const scale = (GLYPH_HEIGHT - 4) / reference;
  const targetWidth = Math.max(1, Math.min(GLYPH_WIDTH, Math.round(width * scale)));
  const targetHeight = Math.max(1, Math.min(GLYPH_HEIGHT, Math.round(height * scale)));
  const { data } = await sharp(Buffer.from(crop), { raw: { width, height, channels: 1 } })
    .resize(targetWidth, targetHeight, { fit: 'fill' })
    .extend({
      left: Math.floor((GLYPH_WIDTH - targetWidth) / 2),
      right: Math.ceil((GLYPH_WIDTH - targetWidth) / 2),
      top: Math.floor((GLYPH_HEIGHT - targetHeight) / 2),
      bottom: Math.ceil((GLYPH_HEIGHT - targetHeight) / 2),
      background: { r: 255, g: 255, b: 255 },
    })
    .extractChannel(0)
    .raw()
    .toBuffer({ resolveWithObject: true });
  return Float32Array.from(data);
}

/** Pearson correlation of two normalised glyphs (1 = identical shape). */
export function glyphSimilarity(a: Float32Array, b: Float32Array): number {
  let meanA = 0;
  let meanB = 0;
  for (let index = 0; index < a.length; index += 1) {
    meanA += a[index] as number;
    meanB += b[index] as number;
  }
  meanA /= a.length;
  meanB /= b.length;
  let covariance = 0;
  let varianceA = 0;
  let varianceB = 0;
  for (let index = 0; index < a.length; index += 1) {
    const da = (a[index] as number) - meanA;
    const db = (b[index] as number) - meanB;
    covariance += da * db;
    varianceA += da * da;
    varianceB += db * db;
  }
  return varianceA && varianceB ? covariance / Math.sqrt(varianceA * varianceB) : 0;
}
