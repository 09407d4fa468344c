import { type AnyObjectStore, JobTimeoutError, sha256Hex, untilAborted } from '@trustplane/kernel';
import { documentExpiry } from '@trustplane/vision';
import type { Logger } from 'pino';
import type { KycConfig } from '../config.js';
import type { AssetRow } from '../db/document-assets-repository.js';
import type { KycRepositories } from '../db/repositories.js';
import type { RiskLabel } from '../db/tables.js';
import type { SessionRow } from '../db/verification-sessions-repository.js';
import type { SessionViews } from '../verification/session-views.js';
import type { SessionWebhooks } from '../webhooks/session-webhooks.js';
import { ANALYZER_MODEL_ID, type DocumentAnalysis, type DocumentAnalyzer } from './document-analyzer.js';

export type BlockReason = 'MRZ_CHECK_DIGIT_MISMATCH' | 'DOCUMENT_EXPIRED' | 'DOCUMENT_TAMPERING_DETECTED';

/** Why the server could not read a document image: the hosted flow asks for a retake. */
export type UnreadableReason = 'MRZ_NOT_FOUND' | 'PORTRAIT_NOT_FOUND' | 'ANALYSIS_FAILED';

export interface AssetVerdict {
  extracted: Record<string, unknown>;
  /** Empty when the image shows what its side must: the MRZ where the type has one, the portrait. */
  unreadableReasons: UnreadableReason[];
  rawScores: { elaScore: number; fftScore: number; forensicRiskScore: number };
  riskLabel: RiskLabel;
  blockReason: BlockReason | null;
}

const RISK_ORDER: RiskLabel[] = ['low', 'medium', 'high'];
export const maxRisk = (a: RiskLabel | null, b: RiskLabel): RiskLabel =>
  a && RISK_ORDER.indexOf(a) > RISK_ORDER.indexOf(b) ? a : b;

/** Pure decision over one asset's analysis: extracted fields, scores, risk and hard failure. */
export function judgeAnalysis(
  analysis: DocumentAnalysis,
  config: KycConfig,
  options: { expectMrz?: boolean; now?: Date } = {},
): AssetVerdict {
  const now = options.now ?? new Date();
  const elaScore = analysis.ela.score;
  const fftScore = analysis.moire.score;
  // Independent evidence: the chance that at least one detector is right.
  const forensicRiskScore = Math.round((1 - (1 - elaScore) * (1 - fftScore)) * 1000) / 1000;
  const extracted: Record<string, unknown> = {};
  let blockReason: BlockReason | null = null;
  let riskLabel: RiskLabel = 'low';
  const unreadableReasons: UnreadableReason[] = [];
  const mrz = analysis.mrz;
  if (mrz) {
    const expiry = documentExpiry(mrz.fields.expirationDate, now);
    Object.assign(extracted, {
      mrzFound: mrz.found,
      mrzFormat: mrz.format,
      mrzLines: mrz.lines,
      mrzValid: mrz.valid,
      mrzInvalidFields: mrz.invalidFields,
      mrzConfidence: Math.round(mrz.confidence * 1000) / 1000,
      ...mrz.fields,
      documentExpiry: expiry.isoDate,
      documentExpired: expiry.expired,
      // What OCR did: an MRZ not found because the OCR budget ran out (`timedOut`) is told apart
      // from a page that shows none (no pass ran: `skipped`) or one OCR read and found nothing.
      mrzOcr: { passes: mrz.ocr.passes, skipped: mrz.ocr.skipped, timedOut: mrz.ocr.timedOut },
    });
    // Driving licences mostly carry no MRZ: its absence is only suspicious on passports and ID cards.
    if (!mrz.found) {
      if (options.expectMrz !== false) {
        riskLabel = maxRisk(riskLabel, 'medium');
        unreadableReasons.push('MRZ_NOT_FOUND');
      }
    } else if (!mrz.valid) blockReason = 'MRZ_CHECK_DIGIT_MISMATCH';
    else if (expiry.expired) blockReason = 'DOCUMENT_EXPIRED';
  }
  if (analysis.portrait) {
    extracted.portraitFound = analysis.portrait.found;
    extracted.portraitConfidence = analysis.portrait.confidence;
    if (!analysis.portrait.found) {
      riskLabel = maxRisk(riskLabel, 'medium');
      unreadableReasons.push('PORTRAIT_NOT_FOUND');
    }
  }
  extracted.ela = analysis.ela.details;
  extracted.moire = analysis.moire.details;
  // Only the portrait-localised ELA is trusted to reject; the whole-image ratio is a weak signal.
  const localized = analysis.ela.details.localized === 1;
  if (!blockReason && localized && elaScore >= config.elaRejectScore)
    blockReason = 'DOCUMENT_TAMPERING_DETECTED';
  if (!localized && elaScore >= 0.9) riskLabel = maxRisk(riskLabel, 'medium');
  if (fftScore >= config.moireHighScore) riskLabel = maxRisk(riskLabel, 'high');
  else if (localized && forensicRiskScore >= 0.3) riskLabel = maxRisk(riskLabel, 'medium');
  if (blockReason) riskLabel = 'high';
  return {
    extracted,
    unreadableReasons,
    rawScores: { elaScore, fftScore, forensicRiskScore },
    riskLabel,
    blockReason,
  };
}

export interface AnalysisPipelineOptions {
  repositories: KycRepositories;
  views: SessionViews;
  objects: AnyObjectStore;
  webhooks: SessionWebhooks;
  analyzer: DocumentAnalyzer;
  config: KycConfig;
  logger: Logger;
}

/** The stored bytes no longer hash to what upload-complete recorded: never analyse them. */
class RecordedHashMismatchError extends Error {
  constructor() {
    super('The stored document does not match the sha-256 recorded at upload-complete');
  }
}

/** The asset's bytes, verified against the hash recorded for it, so analysis describes exactly those. */
async function readRecorded(objects: AnyObjectStore, asset: AssetRow): Promise<Buffer> {
  const { body } = await objects.get(asset.s3_key);
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.from(chunk as Buffer));
  const bytes = Buffer.concat(chunks);
  if (sha256Hex(bytes) !== asset.sha256) throw new RecordedHashMismatchError();
  return bytes;
}

/** Whether an asset goes through the document pipeline (ID images); others are `skipped`. */
export function isAnalyzable(asset: { side: string; content_type: string }): boolean {
  return asset.side !== 'poa' && asset.content_type.startsWith('image/');
}

/** What the analysis job hands the pipeline: its deadline, and whether a retry follows a failure. */
export interface QueuedRun {
  signal?: AbortSignal;
  logger?: Logger;
}

/**
 * Runs the document pipeline on one uploaded ID image and records its outcome: the analysis
 * row (fields, modelVersions, rawScores, heatmaps), the session's risk label, an automated
 * rejection on a hard failure, an audit event and the `verification.extraction` /
 * `verification.completed` webhooks. On reanalysis the row is replaced and nothing is re-fired.
 */
export function createAnalysisPipeline(options: AnalysisPipelineOptions) {
  const { repositories, views, objects, webhooks, analyzer, config, logger } = options;

  return {
    /** Runs it now (the dashboard's reanalysis), awaiting the outcome. */
    async run(session: SessionRow, asset: AssetRow, mode: { reanalysis: boolean; actorUserId?: string }) {
      try {
        await runPipeline(session, asset, mode);
      } finally {
        views.forget(session.id);
      }
    },

    /**
     * The analysis job's run for an asset recorded by upload-complete: `pending` → `processing` →
     * `completed` / `failed`. A run of an asset already settled (a job delivered again after its
     * worker died past the commit) changes nothing.
     */
    async runQueued(assetId: string, run: QueuedRun = {}): Promise<void> {
      const claimed = await repositories.assets.claimForAnalysis(assetId);
      if (!claimed) return;
      views.forget(claimed.session_id);
      const session = await repositories.sessions.find(claimed.session_id);
      if (!session) return;
      try {
        await runPipeline(session, claimed, { reanalysis: false }, run);
      } finally {
        views.forget(session.id);
      }
    },

    /** The job gave up on the asset (retries exhausted): it is `failed`, as an unreadable image is. */
    async giveUp(assetId: string, reason: string): Promise<void> {
      const asset = await repositories.assets.findUnsettled(assetId);
      if (!asset) return;
      const session = await repositories.sessions.find(asset.session_id);
      if (!session) return;
      await recordFailure(session, asset, reason, 'medium');
      views.forget(session.id);
    },
  };

  async function recordFailure(session: SessionRow, asset: AssetRow, reason: string, risk: RiskLabel) {
    await repositories.transaction(async (tx) => {
      const current = await tx.sessions.lock(session.id);
      const failed = await tx.assets.setAnalysisStatus(asset.id, 'failed', ['ANALYSIS_FAILED']);
      if (!current || !failed) return;
      await tx.sessions.update(session.id, { risk_label: maxRisk(current.risk_label, risk) });
      await tx.auditEvents.append({
        sessionId: session.id,
        organizationId: session.organization_id,
        eventType: 'document_analysis_failed',
        actorType: 'system',
        payload: { assetId: asset.id, side: asset.side, reason: reason.slice(0, 300) },
      });
    });
  }

  async function runPipeline(
    session: SessionRow,
    asset: AssetRow,
    mode: { reanalysis: boolean; actorUserId?: string },
    run: QueuedRun = {},
  ) {
    if (!isAnalyzable(asset)) {
      await repositories.assets.setAnalysisStatus(asset.id, 'skipped');
      return;
    }
    const heatmapBase = `sessions/${session.id}/analysis/${asset.id}`;
    const elaKey = `${heatmapBase}/ela.png`;
    const moireKey = `${heatmapBase}/moire.png`;
    let analysis: DocumentAnalysis;
    try {
      const bytes = await readRecorded(objects, asset);
      const analyzing = analyzer.analyze(
        bytes,
        { readMrz: asset.side !== 'front', detectPortrait: asset.side !== 'back' },
        run.signal,
      );
      analysis = run.signal ? await untilAborted(analyzing, run.signal) : await analyzing;
      await objects.put(elaKey, analysis.ela.heatmap, { contentType: 'image/png' });
      await objects.put(moireKey, analysis.moire.heatmap, { contentType: 'image/png' });
    } catch (error) {
      // Out of time (a busy machine): the job tries again, and records the failure when it gives up.
      if (error instanceof JobTimeoutError) throw error;
      (run.logger ?? logger).warn({ err: error, assetId: asset.id }, 'document analysis failed');
      // Bytes that changed after they were recorded are a tampering signal, not a bad photo.
      const risk = error instanceof RecordedHashMismatchError ? 'high' : 'medium';
      await recordFailure(session, asset, (error as Error).message, risk);
      return;
    }
    const verdict = judgeAnalysis(analysis, config, { expectMrz: session.document_type !== 'drive_eta' });

    await repositories.transaction(async (tx) => {
      const current = await tx.sessions.lock(session.id);
      if (!current) return;
      await tx.analyses.replace({
        asset_id: asset.id,
        session_id: session.id,
        extracted: JSON.stringify(verdict.extracted),
        model_id: ANALYZER_MODEL_ID,
        model_versions: JSON.stringify(analysis.modelVersions),
        raw_scores: JSON.stringify(verdict.rawScores),
        ela_heatmap_key: elaKey,
        moire_heatmap_key: moireKey,
      });
      await tx.assets.setAnalysisStatus(asset.id, 'completed', verdict.unreadableReasons);
      const autoReject =
        !mode.reanalysis && verdict.blockReason !== null && current.review_status === 'pending';
      await tx.sessions.update(session.id, {
        risk_label: maxRisk(current.risk_label, verdict.riskLabel),
        portrait_descriptor: analysis.portrait?.descriptor ?? current.portrait_descriptor,
        ...(autoReject
          ? { review_status: 'rejected' as const, automated_block_reason: verdict.blockReason }
          : {}),
      });
      await tx.auditEvents.append({
        sessionId: session.id,
        organizationId: session.organization_id,
        eventType: mode.reanalysis ? 'document_reanalyzed' : 'document_analyzed',
        actorType: mode.reanalysis ? 'operator' : 'system',
        actorUserId: mode.actorUserId ?? null,
        payload: {
          assetId: asset.id,
          side: asset.side,
          riskLabel: verdict.riskLabel,
          blockReason: verdict.blockReason,
          unreadableReasons: verdict.unreadableReasons,
        },
        modelVersions: analysis.modelVersions,
        rawScores: verdict.rawScores,
      });
      if (mode.reanalysis) return;
      await webhooks.emit(tx.executor, current, 'verification.extraction', {
        assetId: asset.id,
        side: asset.side,
        documentType: current.document_type,
        extracted: verdict.extracted,
        riskLabel: verdict.riskLabel,
        rawScores: verdict.rawScores,
        modelVersions: analysis.modelVersions,
      });
      if (autoReject) {
        await tx.auditEvents.append({
          sessionId: session.id,
          organizationId: session.organization_id,
          eventType: 'automated_rejection',
          actorType: 'system',
          payload: { assetId: asset.id, reason: verdict.blockReason },
          rawScores: verdict.rawScores,
        });
        await webhooks.emit(tx.executor, current, 'verification.completed', {
          status: 'rejected',
          reviewStatus: 'rejected',
          automatedBlockReason: verdict.blockReason,
          riskLabel: 'high',
        });
      }
    });
  }
}

export type AnalysisPipeline = ReturnType<typeof createAnalysisPipeline>;
