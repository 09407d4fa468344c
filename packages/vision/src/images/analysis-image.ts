import heicDecode from 'heic-decode';
import sharp, { type Metadata } from 'sharp';
import { ImageError, MAX_IMAGE_PIXELS } from './decode.js';

interface HeifImage {
  width: number;
  height: number;
  decode(): Promise<{ width: number; height: number; data: Uint8ClampedArray }>;
}

export interface AnalysisImage {
  /** JPEG or PNG bytes sharp can read (a HEIC is decoded and re-encoded as JPEG q95). */
  bytes: Buffer;
  width: number;
  height: number;
  /** The source was HEIC: compression forensics (ELA) do not apply to the re-encoded copy. */
  reencoded: boolean;
}

/**
 * Makes JPEG, PNG or HEIC bytes ready for the forensic modules, refusing images over
 * `maxPixels` from their header, before any pixel is decoded (decompression bombs). HEIC goes
 * through heic-decode (libheif compiled to WebAssembly): sharp's prebuilt libvips has no HEVC.
 */
export async function analysisImage(
  bytes: Uint8Array,
  format: 'jpeg' | 'png' | 'heic',
  maxPixels: number,
): Promise<AnalysisImage> {
  if (format === 'heic') {
    let images: HeifImage[];
    try {
      images = await heicDecode.all({ buffer: bytes });
    } catch {
      throw new ImageError('undecodable', 'image could not be decoded as HEIC');
    }
    const primary = images[0];
    if (!primary) throw new ImageError('undecodable', 'HEIC holds no image');
    if (primary.width * primary.height > maxPixels || primary.width * primary.height > MAX_IMAGE_PIXELS) {
      throw new ImageError('too_large', `image exceeds ${maxPixels} pixels`);
    }
    const decoded = await primary.decode();
    const jpeg = await sharp(
      Buffer.from(decoded.data.buffer, decoded.data.byteOffset, decoded.data.byteLength),
      {
        raw: { width: decoded.width, height: decoded.height, channels: 4 },
        limitInputPixels: MAX_IMAGE_PIXELS,
      },
    )
      .removeAlpha()
      .jpeg({ quality: 95 })
      .toBuffer();
    return { bytes: jpeg, width: decoded.width, height: decoded.height, reencoded: true };
  }
  if (
    format === 'png' &&
    bytes.length >= 24 &&
    Buffer.from(bytes.subarray(12, 16)).toString('latin1') === 'IHDR'
  ) {
    // Dimensions straight from IHDR: refused before any decoder sees the file.
    const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const pixels = view.readUInt32BE(16) * view.readUInt32BE(20);
    if (pixels > maxPixels || pixels > MAX_IMAGE_PIXELS) {
      throw new ImageError('too_large', `image exceeds ${Math.min(maxPixels, MAX_IMAGE_PIXELS)} pixels`);
    }
  }
  let metadata: Metadata;
  try {
    // Header only: a 20k × 20k PNG is refused here without decoding a pixel.
    metadata = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch {
    throw new ImageError('undecodable', `image could not be decoded as ${format.toUpperCase()}`);
  }
  const width = metadata.width ?? 0;
  const height = metadata.height ?? 0;
  if (!width || !height) throw new ImageError('undecodable', 'image has no dimensions');
  if (width * height > maxPixels || width * height > MAX_IMAGE_PIXELS) {
    throw new ImageError('too_large', `image exceeds ${Math.min(maxPixels, MAX_IMAGE_PIXELS)} pixels`);
  }
  return { bytes: Buffer.from(bytes), width, height, reencoded: false };
}
