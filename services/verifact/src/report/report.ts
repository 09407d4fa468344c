import type { ClaimRepository } from '../db/claim-repository.js';
import type { PhotoRepository, PhotoRow } from '../db/photo-repository.js';
import type { TenantRow } from '../db/tenant-repository.js';
import type { TriageRepository } from '../db/triage-repository.js';
import { errors } from '../errors.js';
import { distanceMetres, hwAttested, photoIntegrity, photoRisk, riskBand } from './scoring.js';

const FAR_APART_METRES = 1000;
const JOB_LIFETIME_MS = 30 * 86_400_000;

function photoFlags(photo: PhotoRow): string[] {
  const flags: string[] = [];
  if (photo.verify_status === 'tampered') flags.push('tampered');
  if (photo.verify_status === 'ai_generated') flags.push('ai_generated');
  if (photo.verify_status === 'unverified' || photo.verify_status === 'pending') flags.push('no_provenance');
  if (photo.verify_status === 'third_party') flags.push('third_party_capture');
  if (photo.gps_lat === null) flags.push('no_gps');
  if (!hwAttested(photo)) flags.push('no_hardware_attestation');
  if (photo.ntp_synced !== true) flags.push('clock_not_synced');
  for (const alert of photo.alerts) flags.push(alert);
  return flags;
}

export function createReports(deps: {
  claims: ClaimRepository;
  photos: PhotoRepository;
  triage: TriageRepository;
}) {
  return {
    async report(tenant: TenantRow, claimId: string) {
      const claim = await deps.claims.summary(tenant.id, claimId);
      if (!claim) throw errors.notFound('Claim');
      const photos = await deps.photos.ofClaims([claim.id]);
      const triages = await deps.triage.ofClaim(tenant.id, claim.id);
      const integrity = photos.map(photoIntegrity);
      const pilotScore = photos.length
        ? Math.round((100 * integrity.reduce((sum, value) => sum + value, 0)) / photos.length)
        : 0;
      const riskScore = Math.max(1 - pilotScore / 100, ...triages.map((triage) => triage.risk_score));
      const { band, routedTo } = riskBand(riskScore);
      const count = (status: PhotoRow['verify_status']) =>
        photos.filter((photo) => photo.verify_status === status).length;
      const located = photos.filter((photo) => photo.gps_lat !== null && photo.gps_lon !== null);
      const indicators: string[] = [];
      if (count('tampered') > 0) indicators.push(`${count('tampered')} tampered photo(s)`);
      if (count('ai_generated') > 0) indicators.push(`${count('ai_generated')} AI-generated photo(s)`);
      let farthest = 0;
      for (const [index, a] of located.entries()) {
        for (const b of located.slice(index + 1)) {
          farthest = Math.max(
            farthest,
            distanceMetres(
              { lat: a.gps_lat as number, lon: a.gps_lon as number },
              { lat: b.gps_lat as number, lon: b.gps_lon as number },
            ),
          );
        }
      }
      if (farthest > FAR_APART_METRES)
        indicators.push(`photos taken ${Math.round(farthest / 100) / 10} km apart`);
      for (const triage of triages) {
        for (const signal of triage.signals)
          if (signal.score >= 0.6) indicators.push(`triage: ${signal.detail}`);
      }
      if (claim.siu_flagged) indicators.push('flagged to SIU');
      const verified = count('verified');
      const verdict =
        `${band === 'low' ? 'Low risk' : band === 'review' ? 'Needs review' : band === 'high' ? 'High risk' : 'Very high risk'}` +
        ` (${routedTo === 'pass' ? 'pass' : routedTo === 'review' ? 'adjuster review' : 'refer to SIU'}):` +
        ` ${verified} of ${photos.length} photo(s) verified, pilot score ${pilotScore}/100;` +
        ` ${indicators.length ? `indicators: ${indicators.join('; ')}` : 'no fraud indicators'}.`;
      return {
        generatedAt: new Date().toISOString(),
        claim: {
          id: claim.id,
          claimNumber: claim.claim_number,
          policyNumber: claim.policy_number,
          claimType: claim.claim_type,
          status: claim.status,
          district: claim.district,
          surveyorName: claim.surveyor_name,
          insurerCode: tenant.code,
          submittedAt: claim.submitted_at.toISOString(),
          siuFlagged: claim.siu_flagged,
          siuReason: claim.siu_reason,
        },
        summary: {
          totalPhotos: photos.length,
          verified,
          tampered: count('tampered'),
          unverified: count('unverified'),
          withGps: located.length,
          hwAttested: photos.filter(hwAttested).length,
          ntpSynced: photos.filter((photo) => photo.ntp_synced === true).length,
          riskBand: band,
          pilotScore,
          fraudIndicators: indicators,
        },
        verdict,
        photos: photos.map((photo) => ({
          id: photo.id,
          filename: photo.filename,
          verifyStatus: photo.verify_status,
          ...(photo.captured_at ? { capturedAt: photo.captured_at.toISOString() } : {}),
          uploadedAt: photo.uploaded_at.toISOString(),
          gps:
            photo.gps_lat !== null && photo.gps_lon !== null
              ? {
                  lat: photo.gps_lat,
                  lon: photo.gps_lon,
                  ...(photo.gps_accuracy !== null ? { accuracy: photo.gps_accuracy } : {}),
                }
              : null,
          device: {
            model: photo.device_model,
            attestationType: photo.attestation_type,
            hwAttested: hwAttested(photo),
            ntpSynced: photo.ntp_synced,
          },
          riskScore: photoRisk(photo),
          flags: photoFlags(photo),
        })),
      };
    },

    /** The surveyor's open claims (an unknown surveyor simply has none). */
    async jobs(tenant: TenantRow, surveyorId: string) {
      const claims = await deps.claims.openForSurveyor(tenant.id, surveyorId);
      const photos = await deps.photos.ofClaims(claims.map((claim) => claim.id));
      return {
        surveyorId,
        tenant: tenant.code,
        syncedAt: new Date().toISOString(),
        jobs: claims.map((claim) => {
          const own = photos.filter((photo) => photo.claim_id === claim.id);
          const located = own.find((photo) => photo.verify_status === 'verified' && photo.gps_lat !== null);
          return {
            jobId: `job_${claim.id.slice(4)}`,
            claimId: claim.id,
            claimNumber: claim.claim_number,
            policyNumber: claim.policy_number,
            claimType: claim.claim_type,
            district: claim.district,
            description: claim.description ?? '',
            insurerCode: tenant.code,
            assignedAt: claim.submitted_at.toISOString(),
            expiresAt: new Date(claim.submitted_at.getTime() + JOB_LIFETIME_MS).toISOString(),
            status: claim.status,
            photosSubmitted: own.length,
            gpsLat: located?.gps_lat ?? null,
            gpsLon: located?.gps_lon ?? null,
          };
        }),
      };
    },
  };
}

export type Reports = ReturnType<typeof createReports>;
