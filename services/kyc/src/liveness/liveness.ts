import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { type AnyObjectStore, type KyselyExecutor, randomToken } from '@trustplane/kernel';
import { maxRisk } from '../analysis/analysis-pipeline.js';
import type { KycConfig } from '../config.js';
import type { LivenessRow } from '../db/liveness-attempts-repository.js';
import type { KycRepositories } from '../db/repositories.js';
import type { SessionViews } from '../verification/session-views.js';
import { errors } from '../errors.js';
import { hashObject, type VerificationSessions } from '../verification/verification-sessions.js';
import type { SessionWebhooks } from '../webhooks/session-webhooks.js';
import { type IssuedChallenge, issueChallenge } from './challenge.js';
import type { ChallengeType, LandmarksSummary } from './landmarks.js';
import type { LivenessValidatorClient, ValidatorResult } from './liveness-validator.js';

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

/** Where an attempt stands, as `complete` reports it (the seed's fields plus `status`). */
export interface LivenessVerdict {
  passed: boolean;
  confidenceScore: number;
  failureCodes: string[];
  /** `passed` / `failed`: the server's verdict; `pending`: still analysing; `review`: a person decides. */
  status: 'passed' | 'failed' | 'pending' | 'review';
}

/** Codes of outcomes that are not a failed check of the video. */
export const LIVENESS_OUTCOME_CODES = {
  /** complete came without a recording: nothing the server could check, so a person reviews it. */
  noVideo: 'VIDEO_MISSING',
  /** The analysis did not finish within the wait bound; the dashboard and webhook carry the result. */
  pending: 'ANALYSIS_PENDING',
} as const;

const VIDEO_TYPES = /^video\/(webm|mp4)(\s*;.*)?$/i;
const FINAL = new Set<LivenessRow['status']>(['passed', 'failed', 'review']);
/** How often `complete` looks at the attempt while it waits for the analysis job. */
const WAIT_POLL_MS = 250;

const livenessPrefix = (sessionId: string, requestId: string) =>
  `sessions/${sessionId}/liveness/${requestId}/`;

/** The verdict of a finished attempt row, in `complete`'s shape. */
export function verdictOf(row: Pick<LivenessRow, 'status' | 'confidence_score' | 'failure_reason'>) {
  const status =
    row.status === 'passed' || row.status === 'failed' || row.status === 'review' ? row.status : 'pending';
  return {
    passed: status === 'passed',
    confidenceScore: row.confidence_score ?? 0,
    failureCodes: row.failure_reason ? row.failure_reason.split(',') : [],
    status,
  } satisfies LivenessVerdict;
}

/** What the client's probe said: kept for reviewers, never the basis of a pass. */
function probeSignals(result: ValidatorResult) {
  return {
    passed: result.passed,
    confidenceScore: result.confidenceScore,
    failureCodes: result.failureCodes,
    signals: result.signals,
  };
}

export function createLiveness(options: {
  sessions: VerificationSessions;
  repositories: KycRepositories;
  views: SessionViews;
  objects: AnyObjectStore;
  webhooks: SessionWebhooks;
  validator: LivenessValidatorClient;
  /** Queues the analysis of a recording in the transaction that marks its attempt `analyzing`. */
  enqueueAnalysis(transaction: KyselyExecutor, attemptId: string): Promise<unknown>;
  config: KycConfig;
}) {
  const { sessions, repositories, views, objects, webhooks, validator, enqueueAnalysis, config } = options;
  const closing = new AbortController();

  async function pendingAttempt(sessionId: string, requestId: string): Promise<LivenessRow> {
    const attempt = await repositories.liveness.findByRequest(sessionId, requestId);
    if (attempt?.status !== 'pending') throw errors.LIVENESS_REQUEST_INVALID();
    return attempt;
  }

  /** Polls the attempt until the analysis job has decided it, or `timeoutMs` has passed. */
  async function waitForVerdict(attemptId: string, timeoutMs: number): Promise<LivenessRow | undefined> {
    if (timeoutMs <= 0) return undefined; // configured not to wait: always `pending`
    const deadline = Date.now() + timeoutMs;
    while (!closing.signal.aborted) {
      const row = await repositories.liveness.find(attemptId);
      if (!row || FINAL.has(row.status)) return row;
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      await sleep(Math.min(WAIT_POLL_MS, left), undefined, { signal: closing.signal }).catch(() => undefined);
    }
    return undefined;
  }

  return {
    /** Ends every wait for an analysis (server shutdown): those completes answer `pending`. */
    stopWaiting(): void {
      closing.abort();
    },

    async init(sessionId: string, token: string | undefined) {
      const session = await sessions.authorize(sessionId, token);
      if (session.capture_phase !== 'complete') {
        throw errors.VALIDATION_ERROR('Finish the ID and proof-of-address uploads first', {
          capturePhase: `Is "${session.capture_phase}", must be "complete"`,
        });
      }
      const requestId = randomUUID();
      const challenge: IssuedChallenge = issueChallenge();
      await repositories.transaction(async (tx) => {
        // Serialises the inits of one session, so parallel calls cannot exceed the attempt limit.
        await tx.sessions.lock(sessionId);
        const attempts = await tx.liveness.countForSession(sessionId);
        if (attempts >= config.livenessMaxAttempts)
          throw errors.LIVENESS_ATTEMPTS_EXCEEDED(config.livenessMaxAttempts);
        await tx.liveness.insert({
          session_id: sessionId,
          client_request_id: requestId,
          challenge: JSON.stringify(challenge),
        });
        await tx.auditEvents.append({
          sessionId,
          organizationId: session.organization_id,
          eventType: 'liveness_initiated',
          actorType: 'end_user',
          payload: { requestId, attempt: attempts + 1, challenge: challenge.steps },
        });
      });
      return { requestId, challenge };
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

    /**
     * With a recording: the analysis job decides; `complete` waits for it up to
     * `config.livenessWaitMs`, else answers `pending`. Without one: the attempt goes to review,
     * never passes. The client's probe is validated (the seed's validator) and kept as signals.
     */
    async complete(sessionId: string, input: LivenessCompleteInput): Promise<LivenessVerdict> {
      const session = await sessions.authorize(sessionId, input.token);
      await pendingAttempt(sessionId, input.requestId);
      let video: { key: string; sha256: string } | undefined;
      if (input.videoS3Key !== undefined) video = await checkVideo(sessionId, input);
      else if (input.videoByteSize !== undefined || input.videoSha256 !== undefined) {
        throw errors.VALIDATION_ERROR('videoByteSize and videoSha256 need videoS3Key', {
          videoS3Key: 'Required',
        });
      }
      // Claim the request id: exactly one caller moves it out of `pending` (anti-replay).
      const claimedId = await repositories.liveness.claim(sessionId, input.requestId);
      if (!claimedId) throw errors.LIVENESS_REQUEST_INVALID();
      const claimed = { id: claimedId };
      let probe: ValidatorResult;
      try {
        probe = await validator.validate({
          requestId: input.requestId,
          challengeType: input.challengeType,
          greenChannelMean: input.greenChannelMean,
          landmarksSummary: input.landmarksSummary,
          texturePatchB64: input.texturePatchB64 ?? null,
        });
      } catch (error) {
        // Not the client's fault: the request id stays usable for a retry.
        await repositories.liveness.update(claimed.id, { status: 'pending' });
        throw error;
      }

      if (video) {
        const recorded = video;
        const handOver = repositories.transaction(async (tx) => {
          await tx.liveness.update(claimed.id, {
            status: 'analyzing',
            video_s3_key: recorded.key,
            video_sha256: recorded.sha256,
            signals_json: JSON.stringify({ clientProbe: probeSignals(probe) }),
          });
          await tx.auditEvents.append({
            sessionId,
            organizationId: session.organization_id,
            eventType: 'liveness_video_submitted',
            actorType: 'end_user',
            payload: { requestId: input.requestId, videoS3Key: recorded.key, videoSha256: recorded.sha256 },
          });
          // The job exists iff the attempt is `analyzing`: both commit or neither does.
          await enqueueAnalysis(tx.executor, claimed.id);
        });
        await handOver.catch(async (error: unknown) => {
          // Nothing was handed to the job: the request id stays usable for a retry.
          await repositories.liveness
            .update(claimed.id, { status: 'pending' }, { whileStatus: 'validating' })
            .catch(() => undefined);
          throw error;
        });
        const decided = await waitForVerdict(claimed.id, config.livenessWaitMs);
        if (decided) return verdictOf(decided);
        return {
          passed: false,
          confidenceScore: 0,
          failureCodes: [LIVENESS_OUTCOME_CODES.pending],
          status: 'pending',
        };
      }

      // No recording: nothing the server could check. The attempt goes to a person, not to a pass.
      const verdict: LivenessVerdict = {
        passed: false,
        confidenceScore: 0,
        failureCodes: [LIVENESS_OUTCOME_CODES.noVideo],
        status: 'review',
      };
      await repositories.transaction(async (tx) => {
        const current = await tx.sessions.lock(sessionId);
        if (!current) throw errors.VERIFICATION_SESSION_NOT_FOUND();
        await tx.liveness.update(claimed.id, {
          status: 'review',
          confidence_score: 0,
          failure_reason: LIVENESS_OUTCOME_CODES.noVideo,
          risk_label: 'medium',
          signals_json: JSON.stringify({ source: 'none', clientProbe: probeSignals(probe) }),
        });
        const updated = await tx.sessions.update(sessionId, {
          risk_label: maxRisk(current.risk_label, 'medium'),
        });
        await tx.auditEvents.append({
          sessionId,
          organizationId: session.organization_id,
          eventType: 'liveness_completed',
          actorType: 'end_user',
          payload: { requestId: input.requestId, ...verdict },
          rawScores: { clientProbeConfidence: probe.confidenceScore },
        });
        await webhooks.emit(tx.executor, updated, 'verification.completed', {
          status: updated.review_status === 'pending' ? 'submitted' : updated.review_status,
          reviewStatus: updated.review_status,
          liveness: verdict,
          faceSimilarityScore: updated.face_similarity_score,
          riskLabel: updated.risk_label,
          automatedBlockReason: updated.automated_block_reason,
        });
      });
      views.forget(sessionId);
      return verdict;
    },
  };

  /** The linked recording: issued for this request, uploaded, of the declared size; its sha-256. */
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
    // Recorded either way: the analysis job reads only bytes with this digest.
    const digest =
      head.sha256 ??
      (await hashObject(objects, key).catch(() => {
        throw errors.VERIFICATION_STORAGE_NOT_CONFIGURED();
      }));
    if (input.videoSha256 && digest !== input.videoSha256.toLowerCase()) {
      throw errors.VALIDATION_ERROR('videoSha256 does not match the uploaded recording', {
        videoSha256: 'Mismatch',
      });
    }
    return { key, sha256: digest };
  }
}

export type Liveness = ReturnType<typeof createLiveness>;
