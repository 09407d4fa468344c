import { randomBytes } from 'node:crypto';
import type { VariantName } from '../db/types.js';

/** Originals fan out by the id's first two hex digits so no directory grows without bound. */
export function originalKey(mediaId: string): string {
  return `originals/${mediaId.slice(0, 2)}/${mediaId}`;
}

/** Each generation gets its own key: a generator that loses a race deletes only its own blob. */
export function variantKey(mediaId: string, variant: VariantName): string {
  return `variants/${mediaId.slice(0, 2)}/${mediaId}/${variant}-${randomBytes(6).toString('hex')}`;
}
