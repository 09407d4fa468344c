import type { Kysely } from 'kysely';
import type { Billing } from '../billing/billing.js';
import {
  type ClaimFilter,
  ClaimNumberTakenError,
  type ClaimRepository,
  type ClaimRow,
  type ClaimSummaryRow,
} from '../db/claim-repository.js';
import { newId } from '../db/ids.js';
import type { PhotoRepository, PhotoRow } from '../db/photo-repository.js';
import type { ClaimStatus, ClaimType, VerifactDatabase } from '../db/tables.js';
import type { TenantRow } from '../db/tenant-repository.js';
import type { UserRepository } from '../db/user-repository.js';
import { errors } from '../errors.js';
import { photoRisk } from '../report/scoring.js';

const numeric = (value: string | null) => (value === null ? null : Number(value));

export function photoSummaryJson(photo: PhotoRow) {
  return {
    id: photo.id,
    filename: photo.filename,
    verifyStatus: photo.verify_status,
    ...(photo.captured_at ? { capturedAt: photo.captured_at.toISOString() } : {}),
    uploadedAt: photo.uploaded_at.toISOString(),
    gpsLat: photo.gps_lat,
    gpsLon: photo.gps_lon,
    gpsAccuracy: photo.gps_accuracy,
    deviceModel: photo.device_model,
    attestationType: photo.attestation_type,
    ntpSynced: photo.ntp_synced,
    riskScore: photoRisk(photo),
  };
}

export function claimSummaryJson(claim: ClaimSummaryRow) {
  return {
    id: claim.id,
    claimNumber: claim.claim_number,
    policyNumber: claim.policy_number,
    claimType: claim.claim_type,
    status: claim.status,
    district: claim.district,
    surveyorId: claim.surveyor_id,
    surveyorName: claim.surveyor_name,
    riskBand: claim.risk_band,
    riskScore: claim.risk_score,
    estimatedAmount: numeric(claim.estimated_amount),
    settledAmount: numeric(claim.settled_amount),
    siuFlagged: claim.siu_flagged,
    photoCount: claim.photo_count,
    verifiedPhotos: claim.verified_photos,
    submittedAt: claim.submitted_at.toISOString(),
    updatedAt: claim.updated_at.toISOString(),
  };
}

export interface CreateClaimInput {
  claimNumber: string;
  policyNumber: string;
  claimType: ClaimType;
  district: string;
  surveyorId: string;
  description?: string | undefined;
  estimatedAmount?: number | undefined;
  adjusterId?: string | undefined;
}

/** Allowed moves of PATCH (siu_flagged is set by triage, never by PATCH). */
const TRANSITIONS: Partial<Record<ClaimStatus, readonly ClaimStatus[]>> = {
  pending: ['under_review'],
  under_review: ['approved', 'rejected'],
};

export function createClaims(deps: {
  db: Kysely<VerifactDatabase>;
  claims: ClaimRepository;
  users: UserRepository;
  photos: PhotoRepository;
  billing: Billing;
}) {
  const { claims } = deps;

  /** A user id named in a claim: 404 when not in the tenant, 422 when of another role or inactive. */
  async function assignee(tenant: TenantRow, id: string, role: 'surveyor' | 'adjuster', field: string) {
    const user = await deps.users.byId(tenant.id, id);
    if (!user) throw errors.notFound(`${field}: user`);
    if (user.role !== role || !user.active) {
      throw errors.unprocessable(`${field}: the user must be an active ${role}`);
    }
    return user;
  }

  async function detail(tenant: TenantRow, id: string) {
    const claim = await claims.summary(tenant.id, id);
    if (!claim) throw errors.notFound('Claim');
    const photos = await deps.photos.ofClaims([claim.id]);
    return {
      ...claimSummaryJson(claim),
      ...(claim.description !== null ? { description: claim.description } : {}),
      adjusterId: claim.adjuster_id,
      siuReason: claim.siu_reason,
      noteCount: claim.note_count,
      photos: photos.map(photoSummaryJson),
    };
  }

  return {
    detail,
    async create(tenant: TenantRow, input: CreateClaimInput) {
      await assignee(tenant, input.surveyorId, 'surveyor', 'surveyorId');
      if (input.adjusterId) await assignee(tenant, input.adjusterId, 'adjuster', 'adjusterId');
      const id = newId('clm');
      try {
        await deps.db.transaction().execute(async (trx) => {
          const { at } = await claims.lockTenantClock(trx, tenant.id);
          await claims.insert(trx, {
            id,
            tenant_id: tenant.id,
            claim_number: input.claimNumber,
            policy_number: input.policyNumber,
            claim_type: input.claimType,
            district: input.district,
            description: input.description ?? null,
            surveyor_id: input.surveyorId,
            adjuster_id: input.adjusterId ?? null,
            estimated_amount: input.estimatedAmount ?? null,
            settled_amount: null,
            siu_reason: null,
            risk_score: null,
            risk_band: null,
            submitted_at: at,
            updated_at: at,
          });
        });
      } catch (error) {
        if (error instanceof ClaimNumberTakenError) throw errors.claimNumberTaken();
        throw error;
      }
      return detail(tenant, id);
    },
    async list(tenant: TenantRow, filter: ClaimFilter) {
      const { rows, total } = await claims.list(tenant.id, filter);
      return {
        data: rows.map(claimSummaryJson),
        meta: { total, page: filter.page, limit: filter.limit, pages: Math.ceil(total / filter.limit) },
      };
    },
    /**
     * PATCH status. The tenant row is locked first, so transitions of one tenant (and its cap
     * count) run one at a time: of concurrent identical PATCHes one moves the claim, the rest
     * find it moved (same status: a no-op) and nothing is billed twice.
     */
    async updateStatus(
      tenant: TenantRow,
      id: string,
      input: { status: ClaimStatus; settledAmount?: number | undefined },
    ): Promise<{ claim: ClaimRow; warning?: string }> {
      if (input.settledAmount !== undefined && input.status !== 'approved') {
        throw errors.validation('settledAmount: only with status approved');
      }
      return deps.db.transaction().execute(async (trx) => {
        const current = await claims.byId(trx, tenant.id, id);
        if (!current) throw errors.notFound('Claim');
        if (current.status === input.status) return { claim: current };
        if (!TRANSITIONS[current.status]?.includes(input.status)) {
          throw errors.invalidTransition(current.status, input.status);
        }
        const { tenant: locked, at } = await claims.lockTenantClock(trx, tenant.id);
        const fresh = await claims.byId(trx, tenant.id, id, true);
        if (!fresh) throw errors.notFound('Claim');
        if (fresh.status === input.status) return { claim: fresh };
        if (!TRANSITIONS[fresh.status]?.includes(input.status)) {
          throw errors.invalidTransition(fresh.status, input.status);
        }
        let warning: string | undefined;
        if (input.status === 'under_review') {
          const charged = await deps.billing.chargeClaim(trx, locked, {
            id,
            claimNumber: fresh.claim_number,
          });
          warning = charged.warning;
        }
        const claim = await claims.update(trx, tenant.id, id, {
          status: input.status,
          updated_at: at,
          ...(input.settledAmount !== undefined ? { settled_amount: input.settledAmount } : {}),
        });
        return warning ? { claim, warning } : { claim };
      });
    },
  };
}

export type Claims = ReturnType<typeof createClaims>;
