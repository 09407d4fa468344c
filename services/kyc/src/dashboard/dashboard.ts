import { type AnyObjectStore, ObjectIntegrityError, ObjectNotFoundError } from '@trustplane/kernel';
import { correctMrz, detectFormat } from '@trustplane/vision';
import type { AnalysisPipeline } from '../analysis/analysis-pipeline.js';
import type { KycConfig } from '../config.js';
import type { AssetRow } from '../db/document-assets-repository.js';
import type { LivenessRow } from '../db/liveness-attempts-repository.js';
import type { KycRepositories } from '../db/repositories.js';
import type { SessionListFilter, SessionRow } from '../db/verification-sessions-repository.js';
import { errors } from '../errors.js';
import { isUuid } from '../ids.js';
import type { SessionViews } from '../verification/session-views.js';
import type { SessionWebhooks } from '../webhooks/session-webhooks.js';

export type ReviewDecision = 'approve' | 'reject' | 'request_more_info';

const STATUS_FOR: Record<ReviewDecision, 'approved' | 'rejected' | 'more_info_requested'> = {
  approve: 'approved',
  reject: 'rejected',
  request_more_info: 'more_info_requested',
};

const iso = (date: Date) => date.toISOString();

function livenessSummary(row: LivenessRow) {
  return {
    id: row.id,
    status: row.status,
    confidenceScore: row.confidence_score,
    failureReason: row.failure_reason,
    riskLabel: row.risk_label,
    signalsJson: row.signals_json,
    updatedAt: iso(row.updated_at),
  };
}

/** `returnUrl` with `session_id` and `status` appended (existing query kept). */
export function returnUrlFor(session: SessionRow): string | null {
  if (!session.return_url) return null;
  const url = new URL(session.return_url);
  url.searchParams.set('session_id', session.id);
  url.searchParams.set('status', session.review_status);
  return url.toString();
}

/** Operator views over the sessions of the organizations a user belongs to. */
export function createDashboard(options: {
  repositories: KycRepositories;
  views: SessionViews;
  objects: AnyObjectStore;
  pipeline: AnalysisPipeline;
  webhooks: SessionWebhooks;
  config: KycConfig;
}) {
  const { repositories, views, objects, pipeline, webhooks, config } = options;

  const viewUrl = async (key: string | null | undefined) =>
    key ? (await objects.presignGet(key, { expiresInSeconds: config.viewUrlTtlSeconds })).url : null;

  /** A document's view URL serves only the bytes whose sha-256 upload-complete recorded (or none). */
  const documentViewUrl = async (asset: AssetRow): Promise<string | null> => {
    try {
      const presigned = await objects.presignGet(asset.s3_key, {
        expiresInSeconds: config.viewUrlTtlSeconds,
        sha256: asset.sha256,
      });
      return presigned.url;
    } catch (error) {
      // S3 checks the content when the URL is issued: other bytes (or none) get no URL.
      if (error instanceof ObjectIntegrityError || error instanceof ObjectNotFoundError) return null;
      throw error;
    }
  };

  /** The session when `userId` belongs to its organization; 404 otherwise (non-disclosure). */
  async function visibleSession(userId: string, sessionId: string): Promise<SessionRow> {
    const session = await repositories.sessions.findVisible(userId, sessionId);
    if (!session) throw errors.VERIFICATION_SESSION_NOT_FOUND();
    return session;
  }

  function summary(session: SessionRow, heatmaps: { moire: string | null; ela: string | null }) {
    return {
      id: session.id,
      externalUserId: session.external_user_id,
      documentType: session.document_type,
      capturePhase: session.capture_phase,
      reviewStatus: session.review_status,
      riskLabel: session.risk_label,
      automatedBlockReason: session.automated_block_reason,
      documentHeatmapViewUrl: heatmaps.moire,
      elaHeatmapViewUrl: heatmaps.ela,
      faceSimilarityScore: session.face_similarity_score,
      expiresAt: iso(session.expires_at),
      createdAt: iso(session.created_at),
      updatedAt: iso(session.updated_at),
    };
  }

  return {
    visibleSession,

    /**
     * The newest sessions (at most `limit`, the seed's list: 500) the operator may see, narrowed by
     * the console's filters. One more row than asked is read to tell whether a next page exists.
     */
    async list(userId: string, filter: SessionListFilter & { limit?: number } = {}) {
      const limit = filter.limit ?? 500;
      const rows = await repositories.sessions.listVisible(userId, limit + 1, filter);
      const sessions = rows.slice(0, limit);
      const nextOffset = rows.length > limit ? (filter.offset ?? 0) + limit : null;
      const latest = await repositories.liveness.latestPerSession(sessions.map((session) => session.id));
      const bySession = new Map(latest.map((row) => [row.session_id, row]));
      const items = sessions.map((session) => {
        const attempt = bySession.get(session.id);
        return {
          session: summary(session, { moire: null, ela: null }),
          latestLiveness: attempt ? livenessSummary(attempt) : null,
        };
      });
      return { items, nextOffset };
    },

    async detail(userId: string, sessionId: string) {
      const session = await visibleSession(userId, sessionId);
      const [assets, analyses, attempts, events] = await Promise.all([
        repositories.assets.listForSession(sessionId),
        repositories.analyses.listForSession(sessionId),
        repositories.liveness.listForSession(sessionId),
        repositories.auditEvents.listForSession(sessionId),
      ]);
      // The session-level heatmaps are those of the first ID image that has them. Once the sweep
      // job has deleted the session's objects (retention), nothing can be viewed.
      const purged = session.objects_purged_at !== null;
      const withHeatmaps = purged
        ? undefined
        : analyses.find((row) => row.moire_heatmap_key || row.ela_heatmap_key);
      return {
        session: summary(session, {
          moire: await viewUrl(withHeatmaps?.moire_heatmap_key),
          ela: await viewUrl(withHeatmaps?.ela_heatmap_key),
        }),
        assets: await Promise.all(
          assets.map(async (asset) => ({
            id: asset.id,
            side: asset.side,
            analysisStatus: asset.analysis_status,
            s3Key: asset.s3_key,
            contentType: asset.content_type,
            createdAt: iso(asset.created_at),
            documentViewUrl: purged ? null : await documentViewUrl(asset),
          })),
        ),
        analysisResults: await Promise.all(
          analyses.map(async (row) => ({
            assetId: row.asset_id,
            extracted: {
              ...row.extracted,
              modelVersions: row.model_versions,
              rawScores: row.raw_scores,
            },
            modelId: row.model_id,
            createdAt: iso(row.created_at),
            // Beyond the seed: this document's own heatmaps (the session's are the first one's).
            elaHeatmapViewUrl: purged ? null : await viewUrl(row.ela_heatmap_key),
            moireHeatmapViewUrl: purged ? null : await viewUrl(row.moire_heatmap_key),
          })),
        ),
        livenessAttempts: await Promise.all(
          attempts.map(async (row) => ({
            id: row.id,
            clientRequestId: row.client_request_id,
            status: row.status,
            confidenceScore: row.confidence_score,
            failureReason: row.failure_reason,
            riskLabel: row.risk_label,
            videoReferenceUrl: row.video_s3_key,
            livenessVideoPlaybackUrl: purged ? null : await viewUrl(row.video_s3_key),
            signalsJson: row.signals_json,
            createdAt: iso(row.created_at),
            updatedAt: iso(row.updated_at),
          })),
        ),
        auditEvents: events.map((event) => ({
          id: event.id,
          eventType: event.event_type,
          actorType: event.actor_type,
          actorUserId: event.actor_user_id,
          payload: event.payload,
          rationale: event.rationale,
          modelVersions: event.model_versions,
          rawScores: event.raw_scores,
          createdAt: iso(event.created_at),
        })),
      };
    },

    async review(
      userId: string,
      sessionId: string,
      input: {
        decision: ReviewDecision;
        rationale: string;
        manualMrzLine1?: string;
        manualMrzLine2?: string;
        overrideReason?: string;
        /** Beyond the seed: the status the operator decided from; another one → 409 REVIEW_CONFLICT. */
        expectedReviewStatus?: string;
      },
    ) {
      await visibleSession(userId, sessionId);
      let manualMrz: Record<string, unknown> | null = null;
      if ((input.manualMrzLine1 === undefined) !== (input.manualMrzLine2 === undefined)) {
        throw errors.VALIDATION_ERROR('Give both manual MRZ lines', {
          manualMrzLine2: 'Required with manualMrzLine1',
        });
      }
      if (input.manualMrzLine1 && input.manualMrzLine2) {
        const lines = [input.manualMrzLine1, input.manualMrzLine2].map((line) => line.trim().toUpperCase());
        const format = detectFormat(lines);
        if (!format || !lines.every((line) => /^[A-Z0-9<]+$/.test(line))) {
          throw errors.VALIDATION_ERROR(
            'Manual MRZ lines must be two TD2 (36) or TD3 (44) character lines of A–Z, 0–9, <',
            {
              manualMrzLine1: 'Not a two-line MRZ',
            },
          );
        }
        const corrected = correctMrz(lines, format);
        manualMrz = { format, lines: corrected.lines, checkDigitsValid: corrected.checksPass };
      }
      const reviewStatus = STATUS_FOR[input.decision];
      const session = await repositories.transaction(async (tx) => {
        const locked = await tx.sessions.lock(sessionId);
        if (!locked) throw errors.VERIFICATION_SESSION_NOT_FOUND();
        // Two operators reviewing at once: the second decided from a status that is gone.
        if (input.expectedReviewStatus !== undefined && input.expectedReviewStatus !== locked.review_status) {
          throw errors.REVIEW_CONFLICT(locked.review_status);
        }
        const updated = await tx.sessions.update(sessionId, {
          review_status: reviewStatus,
          reviewed_by: userId,
          reviewed_at: new Date(),
          // An approval overrides the automated block; the reason stays in the audit trail.
          automated_block_reason: input.decision === 'approve' ? null : locked.automated_block_reason,
        });
        await tx.auditEvents.append({
          sessionId,
          organizationId: updated.organization_id,
          eventType: 'manual_review',
          actorType: 'operator',
          actorUserId: userId,
          rationale: input.rationale,
          payload: {
            decision: input.decision,
            previousStatus: locked.review_status,
            reviewStatus,
            overrideReason: input.overrideReason ?? null,
            overriddenBlockReason: locked.automated_block_reason,
            manualMrz,
          },
        });
        const outcome = {
          status: reviewStatus,
          reviewStatus,
          decision: input.decision,
          overrideReason: input.overrideReason ?? null,
          riskLabel: updated.risk_label,
          returnUrl: returnUrlFor(updated),
        };
        await webhooks.emit(tx.executor, updated, 'verification.completed', outcome);
        await webhooks.emitOutcome(tx.executor, updated, outcome);
        return updated;
      });
      views.forget(sessionId);
      return { reviewStatus: session.review_status };
    },

    /** The session's audit events checked against the platform-wide hash chain. */
    async auditChain(userId: string, sessionId: string) {
      await visibleSession(userId, sessionId);
      const events = await repositories.auditEvents.verifySessionLinks(sessionId);
      const broken = events.find((event) => !event.valid);
      return {
        intact: !broken,
        checked: events.length,
        brokenEventId: broken?.id ?? null,
        verifiedAt: new Date().toISOString(),
        events,
      };
    },

    async reanalyze(userId: string, sessionId: string, assetId: string) {
      const session = await visibleSession(userId, sessionId);
      // A malformed asset id names no asset of a session the operator may see.
      if (!isUuid(assetId)) throw errors.VERIFICATION_ASSET_NOT_FOUND();
      const asset = await repositories.assets.find(sessionId, assetId);
      if (!asset) throw errors.VERIFICATION_ASSET_NOT_FOUND();
      if (session.objects_purged_at !== null)
        throw errors.VERIFICATION_ASSET_NOT_FOUND(
          "The document was deleted when the session's retention period ended",
        );
      await repositories.transaction(async (tx) => {
        await tx.analyses.deleteForAsset(assetId);
        await tx.auditEvents.append({
          sessionId,
          organizationId: session.organization_id,
          eventType: 'admin_document_reanalyze',
          actorType: 'operator',
          actorUserId: userId,
          payload: { assetId, side: asset.side },
        });
      });
      await pipeline.run(session, asset, { reanalysis: true, actorUserId: userId });
      return { assetId };
    },

    async notifyRetraining(userId: string, input: { sessionIds: string[]; note?: string }) {
      const unique = [...new Set(input.sessionIds)];
      const visible = await repositories.sessions.visibleOrganizations(userId, unique);
      if (visible.length !== unique.length) {
        const known = new Set(visible.map((row) => row.id));
        const missing = unique.filter((id) => !known.has(id));
        throw errors.VALIDATION_ERROR(`Unknown session ids: ${missing.slice(0, 5).join(', ')}`, {
          sessionIds: `${missing.length} unknown session id(s)`,
        });
      }
      await repositories.transaction((tx) =>
        tx.auditEvents.append({
          eventType: 'retraining_batch',
          actorType: 'operator',
          actorUserId: userId,
          organizationId:
            visible.length && visible.every((row) => row.organization_id === visible[0]?.organization_id)
              ? (visible[0]?.organization_id ?? null)
              : null,
          payload: { sessionIds: unique, note: input.note ?? null, count: unique.length },
        }),
      );
      return { recorded: true, sessionCount: unique.length };
    },
  };
}

export type Dashboard = ReturnType<typeof createDashboard>;
