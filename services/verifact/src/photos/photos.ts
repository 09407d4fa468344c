import type { Readable } from 'node:stream';
import { type AnyObjectStore, sha256Hex } from '@trustplane/kernel';
import { perceptualHash } from '@trustplane/vision';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Billing } from '../billing/billing.js';
import type { ClaimRepository, ClaimRow } from '../db/claim-repository.js';
import { newId } from '../db/ids.js';
import type { PhotoRepository, PhotoRow } from '../db/photo-repository.js';
import type { VerifactDatabase } from '../db/tables.js';
import type { TenantRow } from '../db/tenant-repository.js';
import { errors } from '../errors.js';
import { sniffPhoto } from './photo-bytes.js';

/** `attachment` file name: printable ASCII without quotes, slashes or control characters. */
export function safeFilename(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  const cleaned = base
    .normalize('NFKD')
    .replace(/[^\x20-\x7e]/g, '')
    .replace(/["\\;%*?<>|:]/g, '_')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 120);
  return cleaned && !/^\.+$/.test(cleaned) ? cleaned : 'photo';
}

/** Does `If-None-Match` (a list, `*`, weak or strong) match this strong ETag? */
export function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((candidate) => {
    const value = candidate.trim();
    return value === '*' || value.replace(/^W\//, '') === etag;
  });
}

export function createPhotos(deps: {
  db: Kysely<VerifactDatabase>;
  objects: AnyObjectStore;
  photos: PhotoRepository;
  claims: ClaimRepository;
  billing: Billing;
  logger: Logger;
}) {
  async function claimFor(
    tenant: TenantRow,
    ref: { claimId?: string; claimNumber?: string },
  ): Promise<ClaimRow> {
    if (!ref.claimId && !ref.claimNumber) throw errors.validation('claimId or claimNumber is required');
    const byId = ref.claimId ? await deps.claims.byId(deps.db, tenant.id, ref.claimId) : undefined;
    const byNumber = ref.claimNumber ? await deps.claims.byNumber(tenant.id, ref.claimNumber) : undefined;
    if (ref.claimId && ref.claimNumber && byId && byNumber && byId.id !== byNumber.id) {
      throw errors.validation('claimId and claimNumber name different claims');
    }
    const claim = ref.claimId ? byId : byNumber;
    if (!claim) throw errors.notFound('Claim');
    if (ref.claimId && ref.claimNumber && claim.claim_number !== ref.claimNumber) {
      throw errors.validation('claimId and claimNumber name different claims');
    }
    return claim;
  }

  return {
    /** Stores the bytes and records the photo (`unverified`); the same bytes on the same claim return the photo already there. */
    async upload(
      tenant: TenantRow,
      input: { bytes: Buffer; filename: string; claimId?: string; claimNumber?: string },
    ): Promise<{ photo: PhotoRow; claim: ClaimRow }> {
      const claim = await claimFor(tenant, input);
      const type = await sniffPhoto(input.bytes);
      const sha256 = sha256Hex(input.bytes);
      // Perceptual hash for cross-claim duplicate search; HEIC waits for triage (no HEVC in sharp).
      const phash = type === 'image/heic' ? null : await perceptualHash(input.bytes).catch(() => null);
      const id = newId('pho');
      const storageKey = `verifact/photos/${tenant.id}/${id}`;
      try {
        await deps.objects.put(storageKey, input.bytes, { contentType: type });
      } catch (error) {
        deps.logger.error({ err: error }, 'photo storage write failed');
        throw errors.storageUnavailable();
      }
      const { photo, created } = await deps.db.transaction().execute(async (trx) => {
        const { at } = await deps.claims.lockTenantClock(trx, tenant.id);
        const result = await deps.photos.insertOrExisting(trx, {
          id,
          tenant_id: tenant.id,
          claim_id: claim.id,
          filename: safeFilename(input.filename),
          content_type: type,
          size_bytes: input.bytes.length,
          sha256,
          storage_key: storageKey,
          phash,
          captured_at: null,
          gps_lat: null,
          gps_lon: null,
          gps_accuracy: null,
          device_model: null,
          attestation_type: null,
          ntp_synced: null,
          verified_at: null,
        });
        if (result.created) await deps.claims.touch(trx, tenant.id, [claim.id], at);
        return result;
      });
      if (!created) await deps.objects.delete(storageKey).catch(() => undefined);
      return { photo, claim };
    },

    /** Opens the stored bytes for download and meters `photo_downloaded`; 502 when storage fails. */
    async open(tenant: TenantRow, photo: PhotoRow): Promise<Readable> {
      let body: Readable;
      try {
        body = (await deps.objects.get(photo.storage_key)).body;
      } catch (error) {
        deps.logger.error({ err: error, photoId: photo.id }, 'photo storage read failed');
        throw errors.storageUnavailable();
      }
      await deps.db
        .transaction()
        .execute((trx) => deps.billing.meter(trx, tenant, 'photo_downloaded', undefined));
      return body;
    },
  };
}

export type Photos = ReturnType<typeof createPhotos>;
