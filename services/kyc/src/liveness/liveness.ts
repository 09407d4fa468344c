import { randomUUID } from 'node:crypto';
import { type AnyObjectStore, randomToken } from '@trustplane/kernel';
import { distanceToSimilarity, euclideanDistance } from '@trustplane/vision';
import type { DocumentAnalyzer } from '../analysis/document-analyzer.js';
import { maxRisk } from '../analysis/analysis-pipeline.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { KycConfig } from '../config.js';
import type { SessionRow, VerificationRepository } from '../db/verification-repository.js';
import { errors } from '../errors.js';
import { hashObject, type VerificationSessions } from '../verification/verification-sessions.js';
import type { SessionWebhooks } from '../webhooks/session-webhooks.js';
import type { ChallengeType, LandmarksSummary } from './landmarks.js';
import type { LivenessValidatorClient } from './liveness-validator.js';

export interface LivenessCompleteInput {
  token: string;
  requestId: string;
  challengeType: ChallengeType;
  greenChannelMean: number[];
  landmarksSummary: LandmarksSummary;
  texturePatchB64?: string | null;
  videoS3Key?: string;
  videoByteSize?: number;
  videoSha256?: string;
}

/** How long a face check waits for a document analysis still running (upload-complete only starts it). */
const ANALYSIS_WAIT_MS = 30_000;

const VIDEO_TYPES = /^video\/(webm|mp4)(\s*;.*)?$/i;
const livenessPrefix = (sessionId: string, requestId: string) =>
  `sessions/${sessionId}/liveness/${requestId}/`;

export function createLiveness(options: {
  sessions: VerificationSessions;
  repository: VerificationRepository;
  objects: AnyObjectStore;
  audit: AuditLog;
  webhooks: SessionWebhooks;
  validator: LivenessValidatorClient;
  analyzer: DocumentAnalyzer;
  config: KycConfig;
}) {
  const { sessions, repository, objects, audit, webhooks, validator, analyzer, config } = options;
  const db = repository.db;

  /**
   * The document portrait's descriptor. Document analysis is a job started by upload-complete: a
   * liveness check that arrives while it still runs waits for it (bounded) instead of skipping the
   * face comparison.
   */
  async function portraitDescriptor(session: SessionRow): Promise<number[] | null> {
    const deadline = Date.now() + ANALYSIS_WAIT_MS;
    let current = session;
    for (;;) {
      if (current.portrait_descriptor) return current.portrait_descriptor;
      const assets = await repository.listAssets(session.id);
      const running = assets.some(
        (asset) => asset.analysis_status === 'pending' || asset.analysis_status === 'processing',
      );
      if (!running || Date.now() >= deadline) return null;
      await new Promise((resolve) => setTimeout(resolve, 250));
      current = (await repository.findSession(session.id)) ?? current;
    }
  }

  async function pendingAttempt(sessionId: string, requestId: string) {
    const attempt = await db
      .selectFrom('liveness_attempts')
      .selectAll()
      .where('session_id', '=', sessionId)
      .where('client_request_id', '=', requestId)
      .executeTakeFirst();
    if (attempt?.status !== 'pending') throw errors.LIVENESS_REQUEST_INVALID();
  }

  return {
    async init(sessionId: string, token: string | undefined) {
      const session = await sessions.authorize(sessionId, token);
      if (session.capture_phase !== 'complete') {
        throw errors.VALIDATION_ERROR('Finish the ID and proof-of-address uploads first', {
          capturePhase: `Is "${session.capture_phase}", must be "complete"`,
        });
      }
      const requestId = randomUUID();
      await db.transaction().execute(async (trx) => {
        await trx
          .insertInto('liveness_attempts')
          .values({ session_id: sessionId, client_request_id: requestId })
          .execute();
        await audit.append(trx, {
          sessionId,
          organizationId: session.organization_id,
          eventType: 'liveness_initiated',
          actorType: 'end_user',
          payload: { requestId },
        });
      });
      return { requestId };
    },

    async presignVideo(
      sessionId: string,
      input: { token: string; requestId: string; contentType: string; byteSize: number },
    ) {
      await sessions.authorize(sessionId, input.token);
      await pendingAttempt(sessionId, input.requestId);
      if (!VIDEO_TYPES.test(input.contentType)) {
        throw errors.VALIDATION_ERROR('Liveness recordings must be video/webm or video/mp4', {
          contentType: 'Must be video/webm or video/mp4',
        });
      }
      const extension = /mp4/i.test(input.contentType) ? 'mp4' : 'webm';
      const key = `${livenessPrefix(sessionId, input.requestId)}${randomToken(12)}.${extension}`;
      try {
        // Create-only, like document uploads: the recording cannot be swapped after it was checked.
        const presigned = await objects.presignPut(key, {
          contentType: input.contentType,
          contentLength: input.byteSize,
          expiresInSeconds: config.uploadUrlTtlSeconds,
          createOnly: true,
        });
        return {
          uploadUrl: presigned.url,
          s3Key: key,
          expiresInSeconds: config.uploadUrlTtlSeconds,
          uploadHeaders: presigned.headers,
        };
      } catch (error) {
        if (error instanceof RangeError)
          throw errors.VALIDATION_ERROR(error.message, { contentType: error.message });
        throw errors.VERIFICATION_STORAGE_NOT_CONFIGURED();
      }
    },

    async complete(sessionId: string, input: LivenessCompleteInput) {
      const session = await sessions.authorize(sessionId, input.token);
      await pendingAttempt(sessionId, input.requestId);
      if (input.videoS3Key !== undefined) await checkVideo(sessionId, input);
      else if (input.videoByteSize !== undefined || input.videoSha256 !== undefined) {
        throw errors.VALIDATION_ERROR('videoByteSize and videoSha256 need videoS3Key', {
          videoS3Key: 'Required',
        });
      }
      // Claim the request id: exactly one caller moves it out of `pending` (anti-replay).
      const claimed = await db
        .updateTable('liveness_attempts')
        .set({ status: 'validating', updated_at: new Date() })
        .where('session_id', '=', sessionId)
        .where('client_request_id', '=', input.requestId)
        .where('status', '=', 'pending')
        .returning('id')
        .executeTakeFirst();
      if (!claimed) throw errors.LIVENESS_REQUEST_INVALID();
      let result: Awaited<ReturnType<LivenessValidatorClient['validate']>>;
      try {
        result = await validator.validate({
          requestId: input.requestId,
          challengeType: input.challengeType,
          greenChannelMean: input.greenChannelMean,
          landmarksSummary: input.landmarksSummary,
          texturePatchB64: input.texturePatchB64 ?? null,
        });
      } catch (error) {
        // Not the client's fault: the request id stays usable for a retry.
        await db
          .updateTable('liveness_attempts')
          .set({ status: 'pending', updated_at: new Date() })
          .where('id', '=', claimed.id)
          .execute();
        throw error;
      }
      let faceSimilarityScore: number | null = null;
      const portrait = input.texturePatchB64 ? await portraitDescriptor(session) : null;
      if (input.texturePatchB64 && portrait) {
        const descriptor = await analyzer
          .faceDescriptor(Buffer.from(input.texturePatchB64, 'base64'))
          .catch(() => null);
        if (descriptor) {
          faceSimilarityScore =
            Math.round(distanceToSimilarity(euclideanDistance(descriptor, portrait)) * 1000) / 1000;
        }
      }
      const riskLabel = result.passed ? (result.confidenceScore >= 0.75 ? 'low' : 'medium') : 'high';
      await db.transaction().execute(async (trx) => {
        const current = await repository.lockSession(trx, sessionId);
        if (!current) throw errors.VERIFICATION_SESSION_NOT_FOUND();
        await trx
          .updateTable('liveness_attempts')
          .set({
            status: result.passed ? 'passed' : 'failed',
            confidence_score: result.confidenceScore,
            failure_reason: result.failureCodes.length ? result.failureCodes.join(',') : null,
            risk_label: riskLabel,
            video_s3_key: input.videoS3Key ?? null,
            signals_json: JSON.stringify({ ...result.signals, faceSimilarityScore }),
            updated_at: new Date(),
          })
          .where('id', '=', claimed.id)
          .execute();
        const updated = await trx
          .updateTable('verification_sessions')
          .set({
            face_similarity_score: faceSimilarityScore ?? current.face_similarity_score,
            risk_label: maxRisk(current.risk_label, riskLabel),
            updated_at: new Date(),
          })
          .where('id', '=', sessionId)
          .returningAll()
          .executeTakeFirstOrThrow();
        await audit.append(trx, {
          sessionId,
          organizationId: session.organization_id,
          eventType: 'liveness_completed',
          actorType: 'end_user',
          payload: {
            requestId: input.requestId,
            passed: result.passed,
            failureCodes: result.failureCodes,
            faceSimilarityScore,
          },
          rawScores: { livenessConfidence: result.confidenceScore, faceSimilarityScore },
        });
        await webhooks.emit(trx, updated, 'verification.completed', {
          status: updated.review_status === 'pending' ? 'submitted' : updated.review_status,
          reviewStatus: updated.review_status,
          liveness: {
            passed: result.passed,
            confidenceScore: result.confidenceScore,
            failureCodes: result.failureCodes,
          },
          faceSimilarityScore: updated.face_similarity_score,
          riskLabel: updated.risk_label,
          automatedBlockReason: updated.automated_block_reason,
        });
      });
      return {
        passed: result.passed,
        confidenceScore: result.confidenceScore,
        failureCodes: result.failureCodes,
      };
    },
  };

  async function checkVideo(sessionId: string, input: LivenessCompleteInput) {
    const key = input.videoS3Key as string;
    if (!key.startsWith(livenessPrefix(sessionId, input.requestId)) || key.includes('..')) {
      throw errors.VALIDATION_ERROR('videoS3Key was not issued for this liveness request', {
        videoS3Key: 'Not issued here',
      });
    }
    if (input.videoByteSize === undefined) {
      throw errors.VALIDATION_ERROR('videoByteSize is required with videoS3Key', {
        videoByteSize: 'Required',
      });
    }
    const head = await objects.head(key).catch(() => {
      throw errors.VERIFICATION_STORAGE_NOT_CONFIGURED();
    });
    if (!head)
      throw errors.VALIDATION_ERROR('The recording was not uploaded', {
        videoS3Key: 'No object at this key',
      });
    if (head.size !== input.videoByteSize) {
      throw errors.VALIDATION_ERROR('videoByteSize does not match the uploaded recording', {
        videoByteSize: 'Mismatch',
      });
    }
    const digest = input.videoSha256 ? (head.sha256 ?? (await hashObject(objects, key))) : undefined;
    if (input.videoSha256 && digest !== input.videoSha256.toLowerCase()) {
      throw errors.VALIDATION_ERROR('videoSha256 does not match the uploaded recording', {
        videoSha256: 'Mismatch',
      });
    }
  }
}

export type Liveness = ReturnType<typeof createLiveness>;
