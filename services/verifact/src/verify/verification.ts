import type { Kysely } from 'kysely';
import type { Billing } from '../billing/billing.js';
import type { ClaimRepository } from '../db/claim-repository.js';
import type { PhotoRepository } from '../db/photo-repository.js';
import type { AttestationType, VerifactDatabase } from '../db/tables.js';
import type { TenantRow } from '../db/tenant-repository.js';
import type { PhotoType } from '../photos/photo-bytes.js';
import type { ByteParts } from '../photos/photo-parts.js';
import { readHeaderExif } from './header-exif.js';
import { ALERTS, reportManifest, UNVERIFIED, unreadable, type VerifyFacts } from './manifest-report.js';
import type { VaultOpener } from './vault.js';
import type { ReadOutcome, VerifierPool } from './verifier-pool.js';

const ATTESTATION_TYPES = new Set(['StrongBox', 'TEE', 'SecureEnclave', 'software', 'none']);

/** Judges what reading a photo's C2PA data came to (no side effects). */
async function judge(
  outcome: ReadOutcome,
  photo: ByteParts,
  type: PhotoType,
  openVault: VaultOpener,
): Promise<VerifyFacts> {
  switch (outcome.kind) {
    case 'none':
      return UNVERIFIED;
    case 'error':
      return unreadable(ALERTS.unreadableManifest);
    case 'resource_limit':
      return unreadable(ALERTS.resourceLimit);
    case 'store':
      return reportManifest(outcome.json, await readHeaderExif(photo, type), openVault);
  }
}

/** Reads and judges a photo's C2PA data (no side effects): shared by verify and triage. */
export async function examinePhoto(
  pool: VerifierPool,
  openVault: VaultOpener,
  photo: ByteParts,
  type: PhotoType,
): Promise<VerifyFacts> {
  return judge(await pool.read(photo, type), photo, type, openVault);
}

export function createVerification(deps: {
  db: Kysely<VerifactDatabase>;
  pool: VerifierPool;
  openVault: VaultOpener;
  billing: Billing;
  photos: PhotoRepository;
  claims: ClaimRepository;
}) {
  return {
    /**
     * Verifies a photo and meters `api_verify`; when the tenant uploaded photos with the same
     * sha-256, meters and sets every one of them to the outcome (bumping their claims for
     * pollers) in one transaction.
     */
    async verify(tenant: TenantRow, photo: ByteParts, type: PhotoType): Promise<VerifyFacts> {
      const sha256 = photo.sha256Hex();
      // Throws 429 here, before anything is written, when every reader is busy and the queue full.
      const reading = deps.pool.read(photo, type);
      // A photo the pool took is answered 200 whatever its reader comes to, so its event is
      // written (durably) while it is read rather than after. Most verified photos were never
      // uploaded to a claim: then metering is all there is, and the tenant lock (which
      // serialises a tenant's claim writes) is not taken. A photo uploaded while this runs
      // keeps `pending`, as one uploaded just after it would.
      const metered = deps.billing.meterVerifyUnlessUploaded(tenant, sha256);
      metered.catch(() => undefined); // awaited below
      let facts: VerifyFacts;
      try {
        facts = await judge(await reading, photo, type, deps.openVault);
      } catch (error) {
        // No 200 after all: the event written ahead of it is taken back.
        const eventId = await metered.catch(() => undefined);
        if (eventId) await deps.billing.unmeter(eventId);
        throw error;
      }
      if (await metered) return facts;
      await deps.db.transaction().execute(async (trx) => {
        const { tenant: locked, at } = await deps.claims.lockTenantClock(trx, tenant.id);
        await deps.billing.meter(trx, locked, 'api_verify');
        const attestation = facts.device?.attestationType;
        const updated = await deps.photos.applyVerification(trx, tenant.id, sha256, {
          status: facts.photoStatus,
          capturedAt: facts.capturedAt,
          gpsLat: facts.gps?.lat ?? null,
          gpsLon: facts.gps?.lon ?? null,
          gpsAccuracy: facts.gps?.accuracy ?? null,
          deviceModel: facts.device?.model ?? null,
          attestationType:
            attestation && ATTESTATION_TYPES.has(attestation) ? (attestation as AttestationType) : null,
          ntpSynced: facts.ntpSynced,
          alerts: facts.alerts,
        });
        await deps.claims.touch(trx, tenant.id, [...new Set(updated.map((row) => row.claim_id))], at);
      });
      return facts;
    },
  };
}

export type Verification = ReturnType<typeof createVerification>;
