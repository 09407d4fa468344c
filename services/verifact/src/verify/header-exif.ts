import exifr from 'exifr';
import type { PhotoType } from '../photos/photo-bytes.js';
import type { ByteParts } from '../photos/photo-parts.js';
import type { HeaderExif } from './manifest-report.js';

type Dms = number[] | Record<string, number>;

function degrees(value: Dms | undefined, ref: unknown): number | undefined {
  if (!value) return undefined;
  const parts = Array.isArray(value) ? value : Object.values(value);
  if (parts.length === 0 || parts.some((part) => typeof part !== 'number' || !Number.isFinite(part)))
    return undefined;
  const [d = 0, m = 0, s = 0] = parts;
  const result = d + m / 60 + s / 3600;
  return ref === 'S' || ref === 'W' ? -result : result;
}

/**
 * A JPEG up to the end of its EXIF segment (APP1 `Exif`), the only part exifr reads here, so a
 * photo is not joined into one buffer for it; undefined when the header has no EXIF.
 */
function jpegThroughExif(photo: ByteParts): Buffer | undefined {
  const exif = Buffer.from('Exif\0\0', 'latin1');
  let offset = 2;
  while (offset + 4 <= photo.length && photo.byte(offset) === 0xff) {
    const marker = photo.byte(offset + 1);
    if (marker === 0xda || marker === 0xd9) return undefined;
    if (marker === 0xff) {
      offset += 1;
      continue;
    }
    const end = offset + 2 + photo.uint16(offset + 2);
    // exifr looks past the segment's end for the next marker: a few bytes more.
    if (marker === 0xe1 && photo.matches(offset + 4, exif)) return photo.head(end + 16);
    offset = end;
  }
  return undefined;
}

/**
 * The unsigned EXIF header of a photo (exifr), only to compare with the signed `stds.exif`:
 * nothing from it is ever reported as the photo's GPS or device. Unreadable headers are empty.
 */
export async function readHeaderExif(photo: ByteParts, type: PhotoType): Promise<HeaderExif> {
  const input = type === 'image/jpeg' ? jpegThroughExif(photo) : photo.whole();
  if (!input) return {};
  try {
    const raw = (await exifr.parse(input, {
      tiff: true,
      exif: true,
      gps: true,
      ifd1: false,
      xmp: false,
      icc: false,
      iptc: false,
      jfif: false,
      ihdr: false,
      reviveValues: false,
      translateValues: false,
      pick: [
        'Make',
        'Model',
        'DateTimeOriginal',
        'OffsetTimeOriginal',
        'GPSLatitude',
        'GPSLatitudeRef',
        'GPSLongitude',
        'GPSLongitudeRef',
      ],
    })) as Record<string, unknown> | undefined;
    if (!raw) return {};
    const header: HeaderExif = {};
    if (typeof raw.Make === 'string') header.make = raw.Make;
    if (typeof raw.Model === 'string') header.model = raw.Model;
    const wall = typeof raw.DateTimeOriginal === 'string' ? raw.DateTimeOriginal : undefined;
    const offset = typeof raw.OffsetTimeOriginal === 'string' ? raw.OffsetTimeOriginal.trim() : undefined;
    if (wall && offset && /^[+-]\d{2}:\d{2}$/.test(offset)) {
      const iso = `${wall.slice(0, 10).replace(/:/g, '-')}T${wall.slice(11, 19)}${offset}`;
      const at = new Date(iso);
      if (!Number.isNaN(at.getTime())) header.capturedAt = at;
    }
    const latitude = degrees(raw.GPSLatitude as Dms | undefined, raw.GPSLatitudeRef);
    const longitude = degrees(raw.GPSLongitude as Dms | undefined, raw.GPSLongitudeRef);
    if (latitude !== undefined) header.latitude = latitude;
    if (longitude !== undefined) header.longitude = longitude;
    return header;
  } catch {
    return {};
  }
}
