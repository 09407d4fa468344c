import sharp from 'sharp';
import type { FaceBox } from '../faces/face-engine.js';
import { openImage, withImageDecodeSlot } from '../images/decode.js';
import { PORTRAIT_CORE_MARGIN } from './portrait-ela.js';

/**
 * Settings of `portraitCompressionGhost`, calibrated on generated cards
 * (`scripts/calibrate-portrait-forensics.ts`, numbers in the package README).
 */
export const PORTRAIT_GHOST = {
  /** Qualities swept (IJG scale, as libjpeg and most software write them). */
  minQuality: 50,
  maxQuality: 98,
  /** Blocks whose mean luma step is below this carry no compression evidence (flat tints). */
  minActivity: 3,
  /** Error floor under the card's median, so that two near-zero errors make no large ratio. */
  errorFloor: 0.2,
  /** Fewer textured blocks than this on either side: inconclusive. */
  minInsideBlocks: 8,
  minOutsideBlocks: 24,
  /** Blocks sampled at most (evenly) per side, which bounds the cost on large photos. */
  maxInsideBlocks: 256,
  maxOutsideBlocks: 384,
  /**
   * Ratios mapped to the score: 0 at or below `quietRatio` (about the highest a genuine card
   * reached), 1 at or above `strongRatio`; 0.5 at 2.5, biometry's review threshold.
   */
  quietRatio: 1.5,
  strongRatio: 3.5,
} as const;

export interface PortraitCompressionGhost {
  /**
   * Highest ratio, over the sweep, of the portrait's median block error to the card's: about 1
   * when both share one compression history, high when the card shows a "ghost" (it was saved
   * at that quality before) that the portrait lacks. Null when inconclusive.
   */
  ratio: number | null;
  /** The quality of that ratio: the card's earlier JPEG quality when the ratio is high. */
  quality: number | null;
  /** 0 (portrait shares the card's history) – 1 (portrait pasted after the card was compressed). */
  score: number;
  insideBlocks: number;
  outsideBlocks: number;
}

/** 8×8 JPEG blocks, and 16×16 chroma MCUs of 4:2:0: a 16-pixel grid holds whole blocks of both. */
const BLOCK = 16;
const MOSAIC_COLUMNS = 16;

/**
 * Portrait-localised ELA over a sweep of JPEG qualities (a "JPEG ghost", Farid 2009). A region
 * compressed at quality Q and decoded barely changes when compressed again at Q: its error
 * level dips there. A genuine card's portrait went through every compression the card did, so
 * the portrait's and the card's error levels rise and dip together at every quality. A portrait
 * pasted onto a card that had already been saved as a JPEG, then saved again at a higher
 * quality (or losslessly), lacks the card's dip at its earlier quality: there the card barely
 * changes while the portrait changes as any fresh content does.
 *
 * Work is on luma, at the stored resolution and orientation (the JPEG grid), over 16-pixel blocks:
 * textured blocks inside the core of the face box and outside the box, copied block-aligned into
 * a small mosaic that is compressed at each quality (a JPEG block depends only on its own pixels,
 * so the mosaic reproduces each block's error level in the full image).
 *
 * Blind where the evidence is gone: a final save at the card's earlier quality or lower (the
 * coarser quantisation overwrites the history), scaling or rotating the whole image after the
 * paste (the grid moves), and cards never saved as JPEG before the paste.
 */
export async function portraitCompressionGhost(
  image: Uint8Array,
  face: FaceBox,
): Promise<PortraitCompressionGhost> {
  const { luma, width, height, orientation } = await withImageDecodeSlot(async () => {
    const metadata = await openImage(image).metadata();
    const { data, info } = await openImage(image)
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    return { luma: toLuma(data, info.width * info.height), ...info, orientation: metadata.orientation ?? 1 };
  });
  const core = storedBox(
    {
      x: face.x + face.width * PORTRAIT_CORE_MARGIN,
      y: face.y + face.height * PORTRAIT_CORE_MARGIN,
      width: face.width * (1 - 2 * PORTRAIT_CORE_MARGIN),
      height: face.height * (1 - 2 * PORTRAIT_CORE_MARGIN),
    },
    orientation,
    width,
    height,
  );
  const whole = storedBox(face, orientation, width, height);
  const inside: number[] = [];
  const outside: number[] = [];
  const columns = Math.floor(width / BLOCK);
  const rows = Math.floor(height / BLOCK);
  for (let row = 0; row < rows; row += 1) {
    for (let column = 0; column < columns; column += 1) {
      const x = column * BLOCK;
      const y = row * BLOCK;
      if (blockActivity(luma, width, x, y) < PORTRAIT_GHOST.minActivity) continue;
      if (x >= core.x && x + BLOCK <= core.x + core.width && y >= core.y && y + BLOCK <= core.y + core.height)
        inside.push(row * columns + column);
      else if (
        x + BLOCK <= whole.x ||
        x >= whole.x + whole.width ||
        y + BLOCK <= whole.y ||
        y >= whole.y + whole.height
      )
        outside.push(row * columns + column);
    }
  }
  const insideBlocks = evenly(inside, PORTRAIT_GHOST.maxInsideBlocks);
  const outsideBlocks = evenly(outside, PORTRAIT_GHOST.maxOutsideBlocks);
  const counts = { insideBlocks: insideBlocks.length, outsideBlocks: outsideBlocks.length };
  if (
    insideBlocks.length < PORTRAIT_GHOST.minInsideBlocks ||
    outsideBlocks.length < PORTRAIT_GHOST.minOutsideBlocks
  )
    return { ratio: null, quality: null, score: 0, ...counts };

  const blocks = [...insideBlocks, ...outsideBlocks];
  const mosaicWidth = MOSAIC_COLUMNS * BLOCK;
  const mosaicHeight = Math.ceil(blocks.length / MOSAIC_COLUMNS) * BLOCK;
  const mosaic = Buffer.alloc(mosaicWidth * mosaicHeight);
  blocks.forEach((block, index) => {
    const sourceX = (block % columns) * BLOCK;
    const sourceY = Math.floor(block / columns) * BLOCK;
    const targetX = (index % MOSAIC_COLUMNS) * BLOCK;
    const targetY = Math.floor(index / MOSAIC_COLUMNS) * BLOCK;
    for (let line = 0; line < BLOCK; line += 1) {
      const from = (sourceY + line) * width + sourceX;
      mosaic.set(luma.subarray(from, from + BLOCK), (targetY + line) * mosaicWidth + targetX);
    }
  });

  const best = await withImageDecodeSlot(async () => {
    const raw = { raw: { width: mosaicWidth, height: mosaicHeight, channels: 1 as const } };
    const ratioAt = async (quality: number) => {
      const encoded = await sharp(mosaic, raw).jpeg({ quality }).toBuffer();
      const again = await sharp(encoded).extractChannel(0).raw().toBuffer();
      const errors = blocks.map((_, index) => blockError(mosaic, again, mosaicWidth, index));
      const insideError = median(errors.slice(0, insideBlocks.length));
      const outsideError = median(errors.slice(insideBlocks.length));
      return insideError / Math.max(outsideError, PORTRAIT_GHOST.errorFloor);
    };
    // Every other quality, then both neighbours of the highest: a ghost still shows two
    // qualities away (its ratio there is well above a genuine card's), and this halves the work.
    let peak: { ratio: number; quality: number } = { ratio: 0, quality: PORTRAIT_GHOST.minQuality };
    for (let quality = PORTRAIT_GHOST.minQuality; quality <= PORTRAIT_GHOST.maxQuality; quality += 2) {
      const ratio = await ratioAt(quality);
      if (ratio > peak.ratio) peak = { ratio, quality };
    }
    for (const quality of [peak.quality - 1, peak.quality + 1]) {
      if (quality < PORTRAIT_GHOST.minQuality || quality > PORTRAIT_GHOST.maxQuality) continue;
      const ratio = await ratioAt(quality);
      if (ratio > peak.ratio) peak = { ratio, quality };
    }
    return peak;
  });
  const span = PORTRAIT_GHOST.strongRatio - PORTRAIT_GHOST.quietRatio;
  const score = Math.max(0, Math.min(1, (best.ratio - PORTRAIT_GHOST.quietRatio) / span));
  return {
    ratio: Math.round(best.ratio * 100) / 100,
    quality: best.quality,
    score: Math.round(score * 1000) / 1000,
    ...counts,
  };
}

/** JPEG's (JFIF) luma of 8-bit RGB. */
function toLuma(rgb: Buffer, pixels: number): Uint8Array {
  const luma = new Uint8Array(pixels);
  for (let index = 0; index < pixels; index += 1) {
    const offset = index * 3;
    luma[index] = Math.round(
      0.299 * (rgb[offset] as number) +
        0.587 * (rgb[offset + 1] as number) +
        0.114 * (rgb[offset + 2] as number),
    );
  }
  return luma;
}

/** Mean absolute step between neighbouring pixels of a block, across and down. */
function blockActivity(luma: Uint8Array, width: number, x0: number, y0: number): number {
  let sum = 0;
  for (let y = y0; y < y0 + BLOCK - 1; y += 1) {
    for (let x = x0; x < x0 + BLOCK - 1; x += 1) {
      const here = luma[y * width + x] as number;
      sum += Math.abs(here - (luma[y * width + x + 1] as number));
      sum += Math.abs(here - (luma[(y + 1) * width + x] as number));
    }
  }
  return sum / (2 * (BLOCK - 1) * (BLOCK - 1));
}

function blockError(before: Uint8Array, after: Uint8Array, width: number, index: number): number {
  const x0 = (index % MOSAIC_COLUMNS) * BLOCK;
  const y0 = Math.floor(index / MOSAIC_COLUMNS) * BLOCK;
  let sum = 0;
  for (let y = y0; y < y0 + BLOCK; y += 1)
    for (let x = x0; x < x0 + BLOCK; x += 1)
      sum += Math.abs((before[y * width + x] as number) - (after[y * width + x] as number));
  return sum / (BLOCK * BLOCK);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/** At most `limit` items, taken at even steps. */
function evenly<T>(items: T[], limit: number): T[] {
  if (items.length <= limit) return items;
  return Array.from({ length: limit }, (_, index) => items[Math.floor((index * items.length) / limit)] as T);
}

/**
 * A box given on the EXIF-rotated image (as the face engine reports it) on the stored pixels,
 * whose grid the JPEG compression used. `width`/`height` are the stored dimensions.
 */
export function storedBox(box: FaceBox, orientation: number, width: number, height: number): FaceBox {
  const corners = [
    [box.x, box.y],
    [box.x + box.width, box.y + box.height],
  ].map(([x, y]) => toStored(x as number, y as number, orientation, width, height));
  const xs = corners.map(([x]) => x as number);
  const ys = corners.map(([, y]) => y as number);
  const x = Math.min(...xs);
  const y = Math.min(...ys);
  return { x, y, width: Math.max(...xs) - x, height: Math.max(...ys) - y };
}

/** A point of the displayed image (after EXIF orientation) → the stored image (edges, not pixel centres). */
function toStored(
  x: number,
  y: number,
  orientation: number,
  width: number,
  height: number,
): [number, number] {
  switch (orientation) {
    case 2:
      return [width - x, y];
    case 3:
      return [width - x, height - y];
    case 4:
      return [x, height - y];
    case 5:
      return [y, x];
    case 6:
      return [y, height - x];
    case 7:
      return [width - y, height - x];
    case 8:
      return [width - y, x];
    default:
      return [x, y];
  }
}
