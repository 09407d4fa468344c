import { sha256Hex } from '@trustplane/kernel';
import {
  analysisImage,
  errorLevelAnalysis,
  hammingDistance,
  ImageError,
  moireAnalysis,
  perceptualHash,
} from '@trustplane/vision';
import exifr from 'exifr';
import type { Kysely } from 'kysely';
import type { Billing } from '../billing/billing.js';
import type { ClaimRepository, ClaimRow } from '../db/claim-repository.js';
import { newId } from '../db/ids.js';
import type { PhotoRepository } from '../db/photo-repository.js';
import type { TriageSignal, VerifactDatabase } from '../db/tables.js';
import type { TenantRow } from '../db/tenant-repository.js';
import type { TriageRepository, TriageRow } from '../db/triage-repository.js';
import { errors } from '../errors.js';
import { sniffPhoto } from '../photos/photo-bytes.js';
import { riskBand } from '../report/scoring.js';
import type { VaultOpener } from '../verify/vault.js';
import { examinePhoto } from '../verify/verification.js';
import { ByteParts } from '../photos/photo-parts.js';
import type { VerifierPool } from '../verify/verifier-pool.js';

export const TRIAGE_MAX_PIXELS = 50_000_000;
/** Perceptual hashes this close (of 64 bits) are the same picture, re-encoded or resized. */
const DUPLICATE_DISTANCE = 6;
const EDITORS = /photoshop|lightroom|gimp|snapseed|picsart|facetune|canva|pixelmator|affinity|photopea/i;

export const DISCLAIMER =
  'This is a risk score, not a verdict. No signal rejects a claim; a person reviews every flagged item.';

export function triageJson(row: TriageRow) {
  return {
    id: row.id,
    riskScore: row.risk_score,
    riskBand: row.risk_band,
    routedTo: row.routed_to,
    signals: row.signals,
    disclaimer: DISCLAIMER,
    claimId: row.claim_id,
    createdAt: row.created_at.toISOString(),
  };
}

const round = (value: number) => Math.round(Math.max(0, Math.min(1, value)) * 1000) / 1000;

async function exifSignal(bytes: Uint8Array): Promise<TriageSignal> {
  let raw: Record<string, unknown> | undefined;
  try {
    raw = (await exifr.parse(Buffer.from(bytes), {
      tiff: true,
      exif: true,
      gps: false,
      xmp: false,
      icc: false,
      iptc: false,
      reviveValues: false,
      pick: ['Make', 'Model', 'Software', 'DateTimeOriginal', 'ModifyDate'],
    })) as Record<string, unknown> | undefined;
  } catch {
    raw = undefined;
  }
  if (!raw || (!raw.Make && !raw.Model && !raw.DateTimeOriginal)) {
    return {
      name: 'exif_anomalies',
      score: 0.3,
      detail: 'No camera metadata (stripped, screenshot or generated)',
    };
  }
  const findings: string[] = [];
  let score = 0;
  if (typeof raw.Software === 'string' && EDITORS.test(raw.Software)) {
    findings.push(`edited with ${raw.Software.trim().slice(0, 60)}`);
    score = Math.max(score, 0.5);
  }
  const taken = typeof raw.DateTimeOriginal === 'string' ? raw.DateTimeOriginal : undefined;
  if (taken) {
    const iso = `${taken.slice(0, 10).replace(/:/g, '-')}T${taken.slice(11, 19)}Z`;
    const at = Date.parse(iso);
    // A wall clock without zone can be up to 14 h ahead of UTC.
    if (Number.isFinite(at) && at > Date.now() + 14 * 3_600_000) {
      findings.push('capture date in the future');
      score = Math.max(score, 0.6);
    }
    if (typeof raw.ModifyDate === 'string' && raw.ModifyDate > taken) {
      findings.push('modified after capture');
      score = Math.max(score, 0.2);
    }
  }
  return {
    name: 'exif_anomalies',
    score,
    detail: findings.length ? findings.join('; ') : 'Camera metadata consistent',
  };
}

export function createTriage(deps: {
  db: Kysely<VerifactDatabase>;
  pool: VerifierPool;
  openVault: VaultOpener;
  billing: Billing;
  claims: ClaimRepository;
  photos: PhotoRepository;
  results: TriageRepository;
}) {
  async function provenanceSignal(
    bytes: Uint8Array,
    type: Awaited<ReturnType<typeof sniffPhoto>>,
    claim?: ClaimRow,
  ) {
    const facts = await examinePhoto(
      deps.pool,
      deps.openVault,
      new ByteParts([Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)]),
      type,
    );
    const binding = facts.claimBinding;
    let signal: TriageSignal;
    if (facts.status === 'tampered') {
      signal = {
        name: 'provenance',
        score: 0.6,
        detail: `C2PA manifest present but invalid (${facts.alerts.join(', ')})`,
      };
    } else if (facts.status === 'unverified') {
      signal = { name: 'provenance', score: 0.1, detail: 'No C2PA manifest' };
    } else if (binding && binding.source !== 'none') {
      const sealedFor = binding.claimNumber;
      if (claim && sealedFor && sealedFor !== claim.claim_number) {
        signal = {
          name: 'provenance',
          score: 0.9,
          detail: `Verifact capture sealed for claim ${sealedFor}, submitted to claim ${claim.claim_number}`,
        };
      } else {
        signal = {
          name: 'provenance',
          score: 0,
          detail: `Verifact capture (${binding.source}) for claim ${sealedFor ?? 'unknown'}`,
        };
      }
    } else {
      signal = { name: 'provenance', score: 0.05, detail: 'Valid third-party C2PA manifest' };
    }
    const declaredAi: TriageSignal =
      facts.photoStatus === 'ai_generated'
        ? { name: 'declared_ai', score: 0.95, detail: 'The C2PA manifest declares trainedAlgorithmicMedia' }
        : { name: 'declared_ai', score: 0, detail: 'No AI generation declared' };
    return { provenance: signal, declaredAi };
  }

  async function duplicateSignal(
    tenantId: string,
    claimId: string | null,
    hash: string | null,
  ): Promise<TriageSignal> {
    if (!hash) return { name: 'duplicate', score: 0, detail: 'Perceptual hash unavailable' };
    const photos = await deps.photos.hashedOutside(tenantId, claimId);
    for (const photo of photos) {
      if (photo.phash && hammingDistance(photo.phash, hash) <= DUPLICATE_DISTANCE) {
        return {
          name: 'duplicate',
          score: 0.9,
          detail: `Matches photo ${photo.id} of claim ${photo.claim_id}`,
        };
      }
    }
    for (const earlier of await deps.results.hashedOutside(tenantId, claimId)) {
      if (earlier.phash && hammingDistance(earlier.phash, hash) <= DUPLICATE_DISTANCE) {
        return {
          name: 'duplicate',
          score: 0.9,
          detail: `Matches triaged photo ${earlier.id} of claim ${earlier.claim_id}`,
        };
      }
    }
    return { name: 'duplicate', score: 0, detail: 'No near-duplicate in other claims' };
  }

  return {
    async triage(tenant: TenantRow, input: { bytes: Buffer; claimId?: string }): Promise<TriageRow> {
      let claim: ClaimRow | undefined;
      if (input.claimId) {
        claim = await deps.claims.byId(deps.db, tenant.id, input.claimId);
        if (!claim) throw errors.unknownClaim();
      }
      const type = await sniffPhoto(input.bytes);
      let image: Awaited<ReturnType<typeof analysisImage>>;
      try {
        image = await analysisImage(
          input.bytes,
          type === 'image/heic' ? 'heic' : type === 'image/png' ? 'png' : 'jpeg',
          TRIAGE_MAX_PIXELS,
        );
      } catch (error) {
        if (error instanceof ImageError && error.code === 'too_large')
          throw errors.imageTooLarge(TRIAGE_MAX_PIXELS);
        throw errors.invalidPhoto('The photo could not be decoded');
      }
      const [{ provenance, declaredAi }, exif, hash, moire, ela] = await Promise.all([
        provenanceSignal(input.bytes, type, claim),
        exifSignal(input.bytes),
        perceptualHash(image.bytes).catch(() => null),
        moireAnalysis(image.bytes).catch(() => undefined),
        image.reencoded ? Promise.resolve(undefined) : errorLevelAnalysis(image.bytes).catch(() => undefined),
      ]);
      const duplicate = await duplicateSignal(tenant.id, claim?.id ?? null, hash);
      const screen: TriageSignal = moire
        ? { name: 'screen_recapture', score: moire.score, detail: `Moiré peak score ${moire.score}` }
        : { name: 'screen_recapture', score: 0, detail: 'Not measured' };
      // ELA does not separate splices from clean photos reliably (packages/vision README): a weak signal.
      const elaSignal: TriageSignal = ela
        ? { name: 'ela', score: round(ela.score * 0.3), detail: `Error-level ratio ${ela.details.ratio}` }
        : { name: 'ela', score: 0, detail: 'Not applicable (re-encoded HEIC)' };
      const signals = [provenance, exif, duplicate, declaredAi, screen, elaSignal].map((signal) => ({
        ...signal,
        score: round(signal.score),
      }));
      // Independent evidence accumulates (noisy-OR): any strong signal alone reaches its own score.
      const riskScore = round(1 - signals.reduce((keep, signal) => keep * (1 - signal.score), 1));
      const { band, routedTo } = riskBand(riskScore);
      return deps.db.transaction().execute(async (trx) => {
        const { tenant: locked, at } = await deps.claims.lockTenantClock(trx, tenant.id);
        await deps.billing.meter(
          trx,
          locked,
          'claim_triage',
          claim ? { id: claim.id, claimNumber: claim.claim_number } : undefined,
        );
        if (claim) {
          const strongest = [...signals]
            .sort((a, b) => b.score - a.score)
            .filter((signal) => signal.score >= 0.3);
          await deps.claims.raiseRisk(
            trx,
            tenant.id,
            claim.id,
            { score: riskScore, band },
            {
              updated_at: at,
              ...(routedTo === 'siu'
                ? {
                    status: 'siu_flagged',
                    siu_flagged: true,
                    siu_reason:
                      `Triage ${riskScore} (${band}): ${strongest.map((signal) => signal.detail).join('; ')}`.slice(
                        0,
                        1000,
                      ),
                  }
                : {}),
            },
          );
        }
        return deps.results.insert(trx, {
          id: newId('trg'),
          tenant_id: tenant.id,
          claim_id: claim?.id ?? null,
          sha256: sha256Hex(input.bytes),
          phash: hash,
          risk_score: riskScore,
          risk_band: band,
          routed_to: routedTo,
          signals: JSON.stringify(signals),
        });
      });
    },
    async get(tenant: TenantRow, id: string): Promise<TriageRow> {
      const row = await deps.results.byId(tenant.id, id);
      if (!row) throw errors.notFound('Triage result');
      return row;
    },
  };
}

export type Triage = ReturnType<typeof createTriage>;
