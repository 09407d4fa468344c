import sharp from 'sharp';
import { openImage, withImageDecodeSlot } from '../images/decode.js';

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
  image: Uint8Array,
  quality = 90,
  maxSide = 1600,
): Promise<ElaResult> {
  const { original, info, again, inputWidth } = await withImageDecodeSlot(async () => {
    const metadata = await openImage(image).metadata();
    const { data: original, info } = await openImage(image)
      .rotate()
      .resize({ width: maxSide, height: maxSide, fit: 'inside', withoutEnlargement: true })
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const raw = { raw: { width: info.width, height: info.height, channels: 3 as const } };
    const recompressed = await sharp(original, raw).jpeg({ quality }).toBuffer();
    const { data: again } = await openImage(recompressed).raw().toBuffer({ resolveWithObject: true });
    const rotated = (metadata.orientation ?? 1) >= 5;
    return { original, info, again, inputWidth: (rotated ? metadata.height : metadata.width) ?? info.width };
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
