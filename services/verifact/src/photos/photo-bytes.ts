import { fileTypeFromBuffer } from 'file-type';
import { errors } from '../errors.js';

/** What file-type needs to tell the types apart (its own sample size). */
export const SNIFF_BYTES = 4100;

export type PhotoType = 'image/jpeg' | 'image/heic' | 'image/png';

/** JPEG, HEIC (any HEIF still image brand) or PNG, by magic bytes only; anything else is a 400. */
export async function sniffPhoto(bytes: Uint8Array): Promise<PhotoType> {
  if (bytes.length === 0) throw errors.invalidPhoto('The photo is empty');
  const detected = await fileTypeFromBuffer(bytes);
  switch (detected?.mime) {
    case 'image/jpeg':
      return 'image/jpeg';
    case 'image/png':
      return 'image/png';
    case 'image/heic':
    case 'image/heif':
      return 'image/heic';
    default:
      throw errors.invalidPhoto('The photo must be a JPEG, HEIC or PNG image');
  }
}
