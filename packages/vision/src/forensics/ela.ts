import sharp from 'sharp';
import { withImageDecodeSlot } from '../images/decode.js';
import {
  type DocumentRaster,
  isDocumentRaster,
  RASTER_MAX_SIDE,
  rasterOf,
  rasterToSharp,
} from '../images/document-raster.js';

export interface ForensicResult {
  /** 0 (nothing suspicious) – 1 (strong evidence). */
  score: number;
  /** PNG heatmap of the evidence, brighter = more suspicious. */
  heatmap: Buffer;
  details: Record<string, number>;
}

const BLOCK = 16;

/** The per-block error levels an ELA measured, for region statistics (see `portrait-ela.ts`). */
export interface ElaGrid {
  /** Side of a block, in analysed pixels. */
  block: number;
  columns: number;
  rows: number;
  /** Analysed pixels per pixel of the (EXIF-rotated) input: below 1 when it was scaled down. */
  scale: number;
  /** Mean absolute error per block (sum over R, G, B), row by row. */
  errors: Float32Array;
}

export interface ElaResult extends ForensicResult {
  grid: ElaGrid;
}

/**
 * Error Level Analysis: recompress at a known JPEG quality and measure, per 16×16 block,
 * how much each block changes. A photo saved once has a fairly uniform error level; a
 * region pasted in after the last save (a spliced portrait) keeps a much higher one. The
 * score is how far the worst blocks stand above the image's typical block
 * (99th percentile over median), mapped to 0–1.
 */
export async function errorLevelAnalysis(
  image: Uint8Array | DocumentRaster,
  quality = 90,
  maxSide = RASTER_MAX_SIDE,
): Promise<ElaResult> {
  const raster = isDocumentRaster(image) ? image : await rasterOf(image, maxSide);
  if (Math.max(raster.width, raster.height) > maxSide)
    throw new RangeError(`the raster is larger than the ELA's ${maxSide} px`);
  const original = raster.data;
  const info = { width: raster.width, height: raster.height };
  const inputWidth = raster.sourceWidth;
  // The recompression at a known quality, decoded again: the only other decode ELA needs.
  const again = await withImageDecodeSlot(async () => {
    const recompressed = await rasterToSharp(raster).jpeg({ quality }).toBuffer();
    return sharp(recompressed).raw().toBuffer();
  });
  const columns = Math.ceil(info.width / BLOCK);
  const rows = Math.ceil(info.height / BLOCK);
  const blocks = new Float64Array(columns * rows);
  const counts = new Uint32Array(columns * rows);
  for (let y = 0; y < info.height; y += 1) {
    const rowBase = Math.floor(y / BLOCK) * columns;
    for (let x = 0; x < info.width; x += 1) {
      const offset = (y * info.width + x) * 3;
      const error =
        Math.abs((original[offset] as number) - (again[offset] as number)) +
        Math.abs((original[offset + 1] as number) - (again[offset + 1] as number)) +
        Math.abs((original[offset + 2] as number) - (again[offset + 2] as number));
      const block = rowBase + Math.floor(x / BLOCK);
      blocks[block] = (blocks[block] as number) + error;
      counts[block] = (counts[block] as number) + 1;
    }
  }
  for (let index = 0; index < blocks.length; index += 1)
    blocks[index] = (blocks[index] as number) / Math.max(1, counts[index] as number);
  const sorted = [...blocks].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] as number;
  const p99 = sorted[Math.floor(sorted.length * 0.99)] as number;
  const ratio = p99 / Math.max(median, 0.5);
  // A once-saved photo sits around 2–4; splices measured at 6 and above.
  const score = Math.max(0, Math.min(1, (ratio - 3) / 6));
  const peak = Math.max(p99, 1);
  const heat = Buffer.alloc(columns * rows);
  for (let index = 0; index < heat.length; index += 1)
    heat[index] = Math.min(255, Math.round(((blocks[index] as number) / peak) * 255));
  const heatmap = await withImageDecodeSlot(() =>
    sharp(heat, { raw: { width: columns, height: rows, channels: 1 } })
      .resize(columns * 4, rows * 4, { kernel: 'nearest' })
      .png()
      .toBuffer(),
  );
  return {
    score: Math.round(score * 1000) / 1000,
    heatmap,
    details: {
      median_error: Math.round(median * 100) / 100,
      p99_error: Math.round(p99 * 100) / 100,
      ratio: Math.round(ratio * 100) / 100,
    },
    grid: { block: BLOCK, columns, rows, scale: info.width / inputWidth, errors: Float32Array.from(blocks) },
  };
}
