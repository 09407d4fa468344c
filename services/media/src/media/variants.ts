import type { AnyObjectStore } from '@trustplane/kernel';
import type { Logger } from 'pino';
import sharp, { type Sharp } from 'sharp';
import type { MediaRepository } from '../db/media-repository.js';
import type { MediaRow, VariantName, VariantRow } from '../db/types.js';
import { mediaErrors } from '../errors.js';
import { variantKey } from './storage-keys.js';

export const VARIANT_QUALITY: Record<VariantName, number> = { high: 90, medium: 75, low: 50 };
export const VARIANT_VALUES = ['original', 'high', 'medium', 'low'] as const;
const ALIASES: Record<string, VariantName | 'original'> = {
  original: 'original',
  orig: 'original',
  raw: 'original',
  high: 'high',
  hi: 'high',
  medium: 'medium',
  med: 'medium',
  low: 'low',
  lo: 'low',
};
export const ACCEPTED_VARIANTS = Object.keys(ALIASES);

export function parseVariant(value: string | undefined): VariantName | 'original' {
  if (value === undefined || value === '') return 'original';
  const variant = ALIASES[value.trim().toLowerCase()];
  if (!variant) throw mediaErrors.invalidVariant(value, ACCEPTED_VARIANTS);
  return variant;
}

/** Re-encodes in the original's own format, so the served name and type stay the upload's. */
function encoderFor(mime: string, quality: number): ((image: Sharp) => Sharp) | undefined {
  switch (mime) {
    case 'image/jpeg':
      return (image) => image.jpeg({ quality });
    case 'image/png':
      return (image) => image.png({ quality, palette: true });
    case 'image/webp':
      return (image) => image.webp({ quality });
    case 'image/avif':
      return (image) => image.avif({ quality });
    case 'image/tiff':
      return (image) => image.tiff({ quality });
    default:
      return undefined;
  }
}

export interface VariantDeps {
  objects: AnyObjectStore;
  media: MediaRepository;
  logger: Logger;
}

export function createVariantService(deps: VariantDeps) {
  async function generate(media: MediaRow, variant: VariantName): Promise<VariantRow> {
    const quality = VARIANT_QUALITY[variant];
    const encode = encoderFor(media.mime_type, quality);
    if (!encode) throw mediaErrors.variantFailed();
    const source = await deps.objects.get(media.storage_path);
    // `failOn: 'error'` makes truncated or corrupt input fail instead of yielding a partial image.
    const transformer = encode(sharp({ failOn: 'error' }).rotate());
    source.body.on('error', (error) => transformer.destroy(error));
    transformer.on('error', () => source.body.destroy());
    source.body.pipe(transformer);
    const key = variantKey(media.id, variant);
    let stored: Awaited<ReturnType<AnyObjectStore['put']>>;
    try {
      stored = await deps.objects.put(key, transformer);
    } catch (error) {
      deps.logger.warn({ err: error, mediaId: media.id, variant }, 'variant generation failed');
      throw mediaErrors.variantFailed();
    }
    const recorded = await deps.media.insertVariant({
      media_id: media.id,
      variant,
      storage_path: key,
      mime_type: media.mime_type,
      size_bytes: stored.size,
      checksum: `sha256:${stored.sha256}`,
      quality,
      created_at: new Date(),
    });
    if (!recorded?.inserted) await deps.objects.delete(key);
    if (!recorded) throw mediaErrors.mediaNotFound();
    return recorded.row;
  }

  return {
    /** The variant's row, generating and caching it on first use. */
    async ensure(media: MediaRow, variant: VariantName): Promise<VariantRow> {
      if (media.file_type !== 'image') throw mediaErrors.variantUnavailable();
      const existing = await deps.media.findVariant(media.id, variant);
      return existing ?? generate(media, variant);
    },
  };
}

export type VariantService = ReturnType<typeof createVariantService>;
