import { type AnyObjectStore, ObjectNotFoundError, ServiceError } from '@trustplane/kernel';
import { MAX_IMAGE_PIXELS, openImage, toImageError, withImageDecodeSlot } from '@trustplane/vision';
import type { Logger } from 'pino';
import { Counter } from 'prom-client';
import type { Sharp } from 'sharp';
import { isPgViolation } from '@trustplane/kernel';
import type { MediaRow, VariantFailureReason, VariantName, VariantRow } from '../db/types.js';
import type { VariantRepository } from '../db/variant-repository.js';
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

/**
 * Longest side of each tier (`fit: inside`, never enlarged): variants stay bounded whatever the
 * original's size (up to the decode cap of 40 MP), so serving one never costs what the original does.
 */
export const VARIANT_MAX_SIDE: Record<VariantName, number> = { high: 4096, medium: 2048, low: 1024 };

type GenerationOutcome =
  | { kind: 'ready'; row: VariantRow }
  | { kind: 'failed'; reason: VariantFailureReason };

export interface VariantDeps {
  objects: AnyObjectStore;
  variants: VariantRepository;
  logger: Logger;
  /** Where decodes run; the process-wide slots of `@trustplane/vision` unless a test says otherwise. */
  decodeSlot?: <T>(work: () => Promise<T>) => Promise<T>;
}

export function createVariantService(deps: VariantDeps) {
  const decodeSlot = deps.decodeSlot ?? withImageDecodeSlot;
  /** One generation per (media, variant) in this process; the database lock covers the others. */
  const inFlight = new Map<string, Promise<GenerationOutcome>>();
  const generations = new Counter({
    name: 'media_variant_generations_total',
    help: 'Image variant generation attempts, by tier and outcome (generated, image_too_large, undecodable, error)',
    labelNames: ['variant', 'outcome'] as const,
    registers: [],
  });

  async function readOriginal(media: MediaRow): Promise<Buffer> {
    let source: Awaited<ReturnType<AnyObjectStore['get']>>;
    try {
      source = await deps.objects.get(media.storage_path);
    } catch (error) {
      if (error instanceof ObjectNotFoundError) {
        deps.logger.error({ mediaId: media.id, key: media.storage_path }, 'media row without its blob');
        throw mediaErrors.storageMissing();
      }
      throw error;
    }
    // sharp buffers a streamed input whole before decoding anyway; the upload cap bounds it.
    const chunks: Buffer[] = [];
    for await (const chunk of source.body) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  function render(original: Buffer, variant: VariantName, encode: (image: Sharp) => Sharp): Promise<Buffer> {
    const side = VARIANT_MAX_SIDE[variant];
    // `failOn: 'error'` makes truncated or corrupt input fail instead of yielding a partial image.
    const image = openImage(original, { failOn: 'error' })
      .rotate()
      .resize({ width: side, height: side, fit: 'inside', withoutEnlargement: true });
    return encode(image).toBuffer();
  }

  async function generate(
    media: MediaRow,
    variant: VariantName,
    encode: (image: Sharp) => Sharp,
  ): Promise<GenerationOutcome> {
    const recorded = await deps.variants.findFailure(media.id, variant);
    if (recorded) return { kind: 'failed', reason: recorded.reason };
    let storedKey: string | undefined;
    try {
      // The slot is taken before the transaction, so waiting for a slot never holds a connection.
      return await decodeSlot(() =>
        deps.variants.exclusively(media.id, variant, async (scope): Promise<GenerationOutcome> => {
          // Another process may have finished while this one waited for the lock.
          const done = await scope.findVariant();
          if (done) return { kind: 'ready', row: done };
          const failed = await scope.findFailure();
          if (failed) return { kind: 'failed', reason: failed.reason };
          const original = await readOriginal(media);
          let output: Buffer;
          try {
            output = await render(original, variant, encode);
          } catch (error) {
            const cause = toImageError(error);
            const reason = cause.code === 'too_many_pixels' ? 'image_too_large' : 'undecodable';
            deps.logger.warn(
              { mediaId: media.id, variant, reason, detail: cause.message },
              'variant cannot be made from this original; recorded',
            );
            await scope.recordFailure(reason, cause.message);
            generations.inc({ variant, outcome: reason });
            return { kind: 'failed', reason };
          }
          storedKey = variantKey(media.id, variant);
          const stored = await deps.objects.put(storedKey, output);
          const row = await scope.recordVariant({
            media_id: media.id,
            variant,
            storage_path: storedKey,
            mime_type: media.mime_type,
            size_bytes: stored.size,
            checksum: `sha256:${stored.sha256}`,
            quality: VARIANT_QUALITY[variant],
            created_at: new Date(),
          });
          generations.inc({ variant, outcome: 'generated' });
          return { kind: 'ready', row };
        }),
      );
    } catch (error) {
      // Nothing was committed: the blob written for it, if any, goes too.
      if (storedKey) await deps.objects.delete(storedKey).catch(() => undefined);
      // The media was deleted while its variant was being generated.
      if (isPgViolation(error, 'foreignKeyViolation')) throw mediaErrors.mediaNotFound();
      if (error instanceof ServiceError) throw error;
      generations.inc({ variant, outcome: 'error' });
      deps.logger.warn({ err: error, mediaId: media.id, variant }, 'variant generation failed');
      throw mediaErrors.variantFailed();
    }
  }

  const service = {
    generations,

    /**
     * The variant's row, generating and caching it on first use. A failure caused by the original
     * itself is recorded and answered from then on without decoding again.
     */
    async ensure(media: MediaRow, variant: VariantName): Promise<VariantRow> {
      if (media.file_type !== 'image') throw mediaErrors.variantUnavailable();
      const existing = await deps.variants.findVariant(media.id, variant);
      if (existing) return existing;
      const encode = encoderFor(media.mime_type, VARIANT_QUALITY[variant]);
      if (!encode) throw mediaErrors.variantFailed();
      const key = `${media.id}:${variant}`;
      let flight = inFlight.get(key);
      if (!flight) {
        flight = generate(media, variant, encode).finally(() => inFlight.delete(key));
        inFlight.set(key, flight);
      }
      const outcome = await flight;
      if (outcome.kind === 'ready') return outcome.row;
      throw outcome.reason === 'image_too_large'
        ? mediaErrors.imageTooLarge(MAX_IMAGE_PIXELS)
        : mediaErrors.imageUndecodable();
    },

    /** The stored object a download of `variant` serves: the original, or the variant (made if new). */
    async blob(media: MediaRow, variant: VariantName | 'original'): Promise<StoredBlob> {
      const row = variant === 'original' ? media : await service.ensure(media, variant);
      return { key: row.storage_path, size: row.size_bytes, mime: row.mime_type, checksum: row.checksum };
    },
  };
  return service;
}

/** Where a download's bytes are, and what the answer says of them. */
export interface StoredBlob {
  key: string;
  size: number;
  mime: string;
  checksum: string;
}

export type VariantService = ReturnType<typeof createVariantService>;
