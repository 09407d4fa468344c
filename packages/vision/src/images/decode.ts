import sharp from 'sharp';

export type ImageFormat = 'jpeg' | 'png' | 'webp';

export const MAX_IMAGE_BYTES = 10 * 1024 * 1024;
/** Decoded images larger than this many pixels are refused (decompression bombs). */
export const MAX_IMAGE_PIXELS = 40_000_000;

export class ImageError extends Error {
  override readonly name = 'ImageError';
  constructor(
    readonly code: 'empty' | 'too_large' | 'unsupported_format' | 'undecodable',
    message: string,
  ) {
    super(message);
  }
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

/** Checks that bytes are a JPEG/PNG/WebP within the limits that sharp can fully decode. */
export async function inspectImage(bytes: Uint8Array, maxBytes = MAX_IMAGE_BYTES): Promise<ImageInfo> {
  if (bytes.length === 0) throw new ImageError('empty', 'image is empty');
  if (bytes.length > maxBytes) throw new ImageError('too_large', `image exceeds ${maxBytes} bytes`);
  const format = sniffImageFormat(bytes);
  if (!format) throw new ImageError('unsupported_format', 'image is not a JPEG, PNG or WebP');
  try {
    // Decoding the pixels (not just the header) proves the file is not truncated or corrupt.
    const { info } = await sharp(bytes, { limitInputPixels: MAX_IMAGE_PIXELS, failOn: 'error' })
      .rotate()
      .resize({ width: 64, height: 64, fit: 'inside' })
      .raw()
      .toBuffer({ resolveWithObject: true });
    const metadata = await sharp(bytes, { limitInputPixels: MAX_IMAGE_PIXELS }).metadata();
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
  let pipeline = sharp(bytes, { limitInputPixels: MAX_IMAGE_PIXELS }).rotate();
  if (maxSide)
    pipeline = pipeline.resize({ width: maxSide, height: maxSide, fit: 'inside', withoutEnlargement: true });
  const { data, info } = await pipeline
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  return {
    data: new Uint8Array(data.buffer, data.byteOffset, data.length),
    width: info.width,
    height: info.height,
  };
}

/** Median-filtered JPEG copy (EXIF-rotated): removes screen grids, halftone and speckle before a second look. */
export async function denoiseImage(bytes: Uint8Array, size = 5): Promise<Buffer> {
  return sharp(bytes, { limitInputPixels: MAX_IMAGE_PIXELS })
    .rotate()
    .median(size)
    .jpeg({ quality: 95 })
    .toBuffer();
}
