import os from 'node:os';
import pLimit from 'p-limit';
import sharp, { type Sharp, type SharpOptions } from 'sharp';

export type ImageFormat = 'jpeg' | 'png' | 'webp';

export const MAX_IMAGE_BYTES = 10 * 1024 * 1024;
/** Decoded images larger than this many pixels are refused (decompression bombs). */
export const MAX_IMAGE_PIXELS = 40_000_000;

export class ImageError extends Error {
  override readonly name = 'ImageError';
  constructor(
    readonly code: 'empty' | 'too_large' | 'too_many_pixels' | 'unsupported_format' | 'undecodable',
    message: string,
  ) {
    super(message);
  }
}

// One libvips worker thread per image: how much CPU image work takes is then set by the decode
// slots below alone, not by slots × cores.
sharp.concurrency(1);

/**
 * How many images this process decodes at once. Every sharp task holds one thread of libuv's
 * pool (4 by default) until it ends, and that pool also runs argon2, file I/O and DNS for every
 * service of the process: unbounded decodes would stall all of them, so one core is left over.
 */
export const IMAGE_DECODE_CONCURRENCY = Math.max(1, os.availableParallelism() - 1);
const decodeSlots = pLimit(IMAGE_DECODE_CONCURRENCY);

/**
 * Runs `work` (sharp tasks over caller-supplied images) in one of the process-wide decode slots,
 * waiting for a free one in arrival order. `work` must not wait for another slot itself. A pixel
 * cap refusal comes out as `ImageError('too_many_pixels')`.
 */
export async function withImageDecodeSlot<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await decodeSlots(work);
  } catch (error) {
    throw isPixelLimitError(error) ? toImageError(error) : error;
  }
}

/** sharp over encoded bytes from outside, refusing (at the header) images above MAX_IMAGE_PIXELS. */
export function openImage(bytes: Uint8Array, options: Omit<SharpOptions, 'limitInputPixels'> = {}): Sharp {
  return sharp(bytes, { ...options, limitInputPixels: MAX_IMAGE_PIXELS });
}

/** What a failed sharp task over caller-supplied bytes means: over the pixel cap, or undecodable. */
export function toImageError(error: unknown): ImageError {
  if (error instanceof ImageError) return error;
  if (isPixelLimitError(error))
    return new ImageError('too_many_pixels', `image exceeds ${MAX_IMAGE_PIXELS} pixels`);
  return new ImageError('undecodable', error instanceof Error ? error.message : String(error));
}

function isPixelLimitError(error: unknown): boolean {
  // sharp reports the cap only through its message ("Input image exceeds pixel limit").
  return error instanceof Error && /exceeds pixel limit/i.test(error.message);
}

/** Identifies JPEG, PNG or WebP by their magic bytes (never by a declared type). */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat | undefined {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (
    bytes.length >= 8 &&
    bytes[0] === 0x89 &&
    bytes[1] === 0x50 &&
    bytes[2] === 0x4e &&
    bytes[3] === 0x47 &&
    bytes[4] === 0x0d &&
    bytes[5] === 0x0a &&
    bytes[6] === 0x1a &&
    bytes[7] === 0x0a
  )
    return 'png';
  if (
    bytes.length >= 12 &&
    Buffer.from(bytes.subarray(0, 4)).toString('latin1') === 'RIFF' &&
    Buffer.from(bytes.subarray(8, 12)).toString('latin1') === 'WEBP'
  )
    return 'webp';
  return undefined;
}

export interface ImageInfo {
  format: ImageFormat;
  width: number;
  height: number;
  bytes: number;
}

/** The checks of `inspectImage` made before decoding: not empty, within `maxBytes`, a JPEG/PNG/WebP. */
export function inspectImageBytes(bytes: Uint8Array, maxBytes = MAX_IMAGE_BYTES): ImageFormat {
  if (bytes.length === 0) throw new ImageError('empty', 'image is empty');
  if (bytes.length > maxBytes) throw new ImageError('too_large', `image exceeds ${maxBytes} bytes`);
  const format = sniffImageFormat(bytes);
  if (!format) throw new ImageError('unsupported_format', 'image is not a JPEG, PNG or WebP');
  return format;
}

/** Checks that bytes are a JPEG/PNG/WebP within the limits that sharp can fully decode. */
export async function inspectImage(bytes: Uint8Array, maxBytes = MAX_IMAGE_BYTES): Promise<ImageInfo> {
  const format = inspectImageBytes(bytes, maxBytes);
  try {
    // Decoding the pixels (not just the header) proves the file is not truncated or corrupt.
    const { info, metadata } = await withImageDecodeSlot(async () => ({
      info: (
        await openImage(bytes, { failOn: 'error' })
          .rotate()
          .resize({ width: 64, height: 64, fit: 'inside' })
          .raw()
          .toBuffer({ resolveWithObject: true })
      ).info,
      metadata: await openImage(bytes).metadata(),
    }));
    const rotated = (metadata.orientation ?? 1) >= 5;
    const width = rotated ? metadata.height : metadata.width;
    const height = rotated ? metadata.width : metadata.height;
    if (!info.width || !width || !height) throw new Error('no pixels');
    return { format, width, height, bytes: bytes.length };
  } catch (error) {
    if (error instanceof ImageError) throw error;
    throw new ImageError('undecodable', `image could not be decoded as ${format.toUpperCase()}`);
  }
}

export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/** Decodes to 8-bit RGB, applying the EXIF orientation, scaled down to at most `maxSide` pixels. */
export async function decodeRgb(bytes: Uint8Array, maxSide?: number): Promise<RgbImage> {
  let pipeline = openImage(bytes).rotate();
  if (maxSide)
    pipeline = pipeline.resize({ width: maxSide, height: maxSide, fit: 'inside', withoutEnlargement: true });
  const { data, info } = await withImageDecodeSlot(() =>
    pipeline.removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true }),
  );
  return {
    data: new Uint8Array(data.buffer, data.byteOffset, data.length),
    width: info.width,
    height: info.height,
  };
}

/** Median-filtered JPEG copy (EXIF-rotated): removes screen grids, halftone and speckle before a second look. */
export async function denoiseImage(bytes: Uint8Array, size = 5): Promise<Buffer> {
  return withImageDecodeSlot(() => openImage(bytes).rotate().median(size).jpeg({ quality: 95 }).toBuffer());
}
