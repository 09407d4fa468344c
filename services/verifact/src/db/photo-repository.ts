import type { Insertable, Kysely, Selectable, Transaction } from 'kysely';
import { isUniqueViolation } from '@trustplane/kernel';
import type { PhotoStatus, PhotoTable, VerifactDatabase } from './tables.js';

export type PhotoRow = Selectable<PhotoTable>;
type Executor = Kysely<VerifactDatabase> | Transaction<VerifactDatabase>;

export interface VerificationUpdate {
  status: PhotoStatus;
  capturedAt: Date | null;
  gpsLat: number | null;
  gpsLon: number | null;
  gpsAccuracy: number | null;
  deviceModel: string | null;
  attestationType: PhotoRow['attestation_type'];
  ntpSynced: boolean | null;
  alerts: string[];
}

export function createPhotoRepository(db: Kysely<VerifactDatabase>) {
  return {
    /** Inserts the photo; the same bytes on the same claim return the existing row instead. */
    async insertOrExisting(
      executor: Executor,
      row: Insertable<PhotoTable>,
    ): Promise<{ photo: PhotoRow; created: boolean }> {
      const inserted = await executor
        .insertInto('photos')
        .values(row)
        .onConflict((conflict) => conflict.constraint('photos_claim_sha256').doNothing())
        .returningAll()
        .executeTakeFirst();
      if (inserted) return { photo: inserted, created: true };
      const existing = await executor
        .selectFrom('photos')
        .selectAll()
        .where('claim_id', '=', row.claim_id)
        .where('sha256', '=', row.sha256)
        .executeTakeFirstOrThrow();
      return { photo: existing, created: false };
    },
    byId(tenantId: string, id: string): Promise<PhotoRow | undefined> {
      return db
        .selectFrom('photos')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .executeTakeFirst();
    },
    ofClaims(claimIds: string[]): Promise<PhotoRow[]> {
      if (claimIds.length === 0) return Promise.resolve([]);
      return db
        .selectFrom('photos')
        .selectAll()
        .where('claim_id', 'in', claimIds)
        .orderBy('uploaded_at')
        .orderBy('id')
        .execute();
    },
    /** Photos of other claims of the tenant that have a perceptual hash (duplicate search). */
    hashedOutside(
      tenantId: string,
      claimId: string | null,
    ): Promise<Pick<PhotoRow, 'id' | 'claim_id' | 'phash' | 'sha256'>[]> {
      let query = db
        .selectFrom('photos')
        .select(['id', 'claim_id', 'phash', 'sha256'])
        .where('tenant_id', '=', tenantId)
        .where('phash', 'is not', null);
      if (claimId) query = query.where('claim_id', '!=', claimId);
      return query.execute();
    },
    /** Every photo of the tenant with these bytes takes the verification's outcome. */
    async applyVerification(
      executor: Executor,
      tenantId: string,
      sha256: string,
      update: VerificationUpdate,
    ) {
      return executor
        .updateTable('photos')
        .set({
          verify_status: update.status,
          captured_at: update.capturedAt,
          gps_lat: update.gpsLat,
          gps_lon: update.gpsLon,
          gps_accuracy: update.gpsAccuracy,
          device_model: update.deviceModel,
          attestation_type: update.attestationType,
          ntp_synced: update.ntpSynced,
          alerts: update.alerts,
          verified_at: new Date(),
        })
        .where('tenant_id', '=', tenantId)
        .where('sha256', '=', sha256)
        .returning(['id', 'claim_id'])
        .execute();
    },
  };
}

export function isDuplicatePhoto(error: unknown): boolean {
  return isUniqueViolation(error, 'photos_claim_sha256');
}

export type PhotoRepository = ReturnType<typeof createPhotoRepository>;
