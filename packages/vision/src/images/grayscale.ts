import sharp, { type Sharp } from 'sharp';
import { openImage, withImageDecodeSlot } from './decode.js';
import { type DocumentRaster, isDocumentRaster, rasterToSharp } from './document-raster.js';

export interface GrayImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/**
 * Decodes to 8-bit grayscale (EXIF-rotated), resized to `width` pixels wide when given — but never
 * more than twice as tall as wide (a narrow strip is scaled to fit `width` × 2·`width`, not blown up
 * to hundreds of megapixels).
 */
export async function decodeGray(image: Uint8Array | DocumentRaster, width?: number): Promise<GrayImage> {
  let pipeline = isDocumentRaster(image) ? rasterToSharp(image) : openImage(image).rotate();
  if (width) pipeline = pipeline.resize({ width, height: width * 2, fit: 'inside' });
  const { data, info } = await withImageDecodeSlot(() =>
    pipeline.grayscale().raw().toBuffer({ resolveWithObject: true }),
  );
  return {
    data: new Uint8Array(data.buffer, data.byteOffset, info.width * info.height),
    width: info.width,
    height: info.height,
  };
}

export function grayToSharp(image: GrayImage): Sharp {
  return sharp(Buffer.from(image.data.buffer, image.data.byteOffset, image.data.length), {
    raw: { width: image.width, height: image.height, channels: 1 },
  });
}

/** Otsu's threshold of an 8-bit histogram: the level that best separates ink from paper. */
export function otsuThreshold(data: Uint8Array): number {
  const histogram = new Array<number>(256).fill(0);
  for (const value of data) histogram[value] = (histogram[value] as number) + 1;
  const total = data.length;
  let sum = 0;
  for (let level = 0; level < 256; level += 1) sum += level * (histogram[level] as number);
  let sumBackground = 0;
  let weightBackground = 0;
  let best = 0;
  let threshold = 127;
  for (let level = 0; level < 256; level += 1) {
    weightBackground += histogram[level] as number;
    if (weightBackground === 0) continue;
    const weightForeground = total - weightBackground;
    if (weightForeground === 0) break;
    sumBackground += level * (histogram[level] as number);
    const meanBackground = sumBackground / weightBackground;
    const meanForeground = (sum - sumBackground) / weightForeground;
    const between = weightBackground * weightForeground * (meanBackground - meanForeground) ** 2;
    if (between > best) {
      best = between;
      threshold = level;
    }
  }
  return threshold;
}

/** Black ink (0) on white (255) at the given threshold. */
export function binarize(image: GrayImage, threshold = otsuThreshold(image.data)): GrayImage {
  const data = new Uint8Array(image.data.length);
  for (let index = 0; index < data.length; index += 1)
    data[index] = (image.data[index] as number) <= threshold ? 0 : 255;
  return { data, width: image.width, height: image.height };
}

export async function rotateGray(image: GrayImage, degrees: number): Promise<GrayImage> {
  return rawGray(grayToSharp(image).rotate(degrees, { background: { r: 255, g: 255, b: 255 } }));
}

/** Runs a pipeline to single-channel raw pixels (sharp widens some operations to RGB). */
async function rawGray(pipeline: Sharp): Promise<GrayImage> {
  const { data, info } = await pipeline.extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  return {
    data: new Uint8Array(data.buffer, data.byteOffset, info.width * info.height),
    width: info.width,
    height: info.height,
  };
}

/**
 * The rotation (degrees, for `rotateGray`) that levels the text lines, by projection
 * profiles: the angle under which row sums of ink are the most contrasted (text rows vs
 * gaps). Searches ±`range` degrees.
 */
export async function estimateSkew(image: GrayImage, range = 6, step = 0.5): Promise<number> {
  const small = image.width > 600 ? await resizeGray(image, 600) : image;
  const ink = binarize(small);
  const angles: number[] = [];
  for (let angle = -range; angle <= range + 1e-9; angle += step) angles.push(angle);
  // The rotations are independent sharp tasks: sent together, libuv's pool runs them side by side
  // instead of one round trip after another (same images, same scores).
  const rotations = await Promise.all(
    angles.map((angle) => (angle === 0 ? Promise.resolve(ink) : rotateGray(ink, angle))),
  );
  let bestAngle = 0;
  let bestScore = -1;
  for (const [index, angle] of angles.entries()) {
    const rotated = rotations[index] as GrayImage;
    let score = 0;
    let previous = 0;
    for (let y = 0; y < rotated.height; y += 1) {
      let row = 0;
      const offset = y * rotated.width;
      for (let x = 0; x < rotated.width; x += 1) if ((rotated.data[offset + x] as number) < 128) row += 1;
      score += (row - previous) ** 2;
      previous = row;
    }
    if (score > bestScore) {
      bestScore = score;
      bestAngle = angle;
    }
  }
  return bestAngle;
}

/** Median filter: removes fine periodic patterns (a photographed screen's grid) and speckle, keeps strokes. */
export async function medianGray(image: GrayImage, size = 5): Promise<GrayImage> {
  return rawGray(grayToSharp(image).median(size));
}

export async function resizeGray(image: GrayImage, width: number): Promise<GrayImage> {
  return rawGray(grayToSharp(image).resize({ width }));
}

export function cropGray(image: GrayImage, top: number, height: number): GrayImage {
  const start = Math.max(0, Math.min(image.height, top));
  const end = Math.max(start, Math.min(image.height, top + height));
  return {
    data: image.data.slice(start * image.width, end * image.width),
    width: image.width,
    height: end - start,
  };
}
