import sharp, { type Sharp } from 'sharp';
import { ImageError, inspectImageBytes, MAX_IMAGE_BYTES, openImage, withImageDecodeSlot } from './decode.js';

/**
 * A document image decoded once, for every stage of an analysis (OCR, ELA, moiré, face): 8-bit
 * RGB, EXIF-rotated, scaled down to at most `RASTER_MAX_SIDE` pixels. Its buffers live in
 * `SharedArrayBuffer`s, so handing it to several worker threads shares the memory instead of
 * copying it.
 */
export interface DocumentRaster {
  /** RGB pixels, row by row. */
  data: Uint8Array;
  width: number;
  height: number;
  /** The EXIF-rotated source's size (face boxes and ELA blocks are reported in its pixels). */
  sourceWidth: number;
  sourceHeight: number;
  /** The encoded bytes, for a stage that needs full resolution when `data` was scaled down (moiré). */
  encoded: Uint8Array;
}

/** ELA's working size: the largest any stage uses, so the raster serves them all. */
export const RASTER_MAX_SIDE = 1600;

function shared(bytes: Uint8Array): Uint8Array {
  const copy = new Uint8Array(new SharedArrayBuffer(bytes.byteLength));
  copy.set(bytes);
  return copy;
}

/**
 * Checks the bytes as `inspectImage` does (size, magic bytes, a full decode that proves the file
 * whole) and keeps that decode as the analysis raster. Refusals are `ImageError`s with
 * `inspectImage`'s codes.
 */
export async function decodeDocumentRaster(
  bytes: Uint8Array,
  options: { maxBytes?: number; maxSide?: number } = {},
): Promise<DocumentRaster> {
  const format = inspectImageBytes(bytes, options.maxBytes ?? MAX_IMAGE_BYTES);
  try {
    return await rasterOf(bytes, options.maxSide ?? RASTER_MAX_SIDE);
  } catch (error) {
    if (error instanceof ImageError) throw error;
    throw new ImageError('undecodable', `image could not be decoded as ${format.toUpperCase()}`);
  }
}

/**
 * The raster of any image sharp reads (the byte entry points of the stages: ELA), refusing images
 * over the pixel cap from their header (`ImageError('too_many_pixels')`).
 */
export async function rasterOf(bytes: Uint8Array, maxSide = RASTER_MAX_SIDE): Promise<DocumentRaster> {
  const { data, info, metadata } = await withImageDecodeSlot(async () => {
    const metadata = await openImage(bytes).metadata();
    const { data, info } = await openImage(bytes, { failOn: 'error' })
      .rotate()
      .resize({ width: maxSide, height: maxSide, fit: 'inside', withoutEnlargement: true })
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    return { data, info, metadata };
  });
  const rotated = (metadata.orientation ?? 1) >= 5;
  const sourceWidth = (rotated ? metadata.height : metadata.width) ?? 0;
  const sourceHeight = (rotated ? metadata.width : metadata.height) ?? 0;
  if (!info.width || !sourceWidth || !sourceHeight || info.channels !== 3) throw new Error('no pixels');
  return {
    data: shared(data),
    width: info.width,
    height: info.height,
    sourceWidth,
    sourceHeight,
    encoded: shared(bytes),
  };
}

export function isDocumentRaster(input: Uint8Array | DocumentRaster): input is DocumentRaster {
  return !(input instanceof Uint8Array);
}

/** Whether the raster holds the source's own pixels (not scaled down). */
export function isFullResolution(raster: DocumentRaster): boolean {
  return raster.width === raster.sourceWidth && raster.height === raster.sourceHeight;
}

/** sharp over the raster's pixels (already decoded: no pixel cap applies, no slot is needed to read them). */
export function rasterToSharp(raster: DocumentRaster): Sharp {
  const { data } = raster;
  return sharp(Buffer.from(data.buffer, data.byteOffset, data.byteLength), {
    raw: { width: raster.width, height: raster.height, channels: 3 },
  });
}
