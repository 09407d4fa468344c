import { createHash } from 'node:crypto';
import { type AnyObjectStore, type JobContext, defineJob, untilAborted } from '@trustplane/kernel';
import { z } from 'zod';
import { analyzeLivenessVideo, LIVENESS_THRESHOLDS, type LivenessAnalysis } from '@trustplane/vision';
import { maxRisk } from '../analysis/analysis-pipeline.js';
import type { LivenessRow } from '../db/liveness-attempts-repository.js';
import type { KycRepositories } from '../db/repositories.js';
import type { RiskLabel } from '../db/tables.js';
import type { SessionViews } from '../verification/session-views.js';
import type { SessionWebhooks } from '../webhooks/session-webhooks.js';
import type { LivenessVerdict } from './liveness.js';
import type { KycConfig } from '../config.js';

export const LIVENESS_ANALYSIS_QUEUE = 'kyc.liveness-analysis';
/** Retries of an analysis that threw (engine start-up, a worker thread that died); then review. */
export const LIVENESS_ANALYSIS_RETRIES = 2;

export interface LivenessAnalysisJob {
  attemptId: string;
}

/** How often the job looks again at a document analysis it waits for. */
const DOCUMENT_POLL_MS = 500;

/** Verdict codes the job adds to the engine's (`LivenessFailureCode`). */
export const ANALYSIS_CODES = {
  /** The session's document gave no portrait descriptor, so the face cannot be matched. */
  noPortrait: 'DOCUMENT_FACE_NOT_FOUND',
  /** The stored recording no longer hashes to what complete recorded. */
  integrity: 'VIDEO_INTEGRITY_FAILED',
  /** The analysis could not run (after retries): a person reviews the recording. */
  unavailable: 'ANALYSIS_UNAVAILABLE',
} as const;

class RecordingChangedError extends Error {}

/**
 * The liveness verdict, decided from the recording alone: the pg-boss job reads the recording
 * (checked against the sha-256 recorded at complete), runs `@trustplane/vision`'s video analysis
 * (frames analysed in its worker-thread pool, off this event loop) with the challenge `init`
 * stored for the request and the portrait descriptor of the session's document, and records the
 * outcome: attempt row, the session's face similarity and risk, the audit event and the
 * `verification.completed` webhook. Idempotent: only an attempt still `analyzing` is decided.
 */
export function createLivenessAnalysis(options: {
  repositories: KycRepositories;
  views: SessionViews;
  objects: AnyObjectStore;
  webhooks: SessionWebhooks;
}) {
  const { repositories, views, objects, webhooks } = options;

  async function readRecording(attempt: LivenessRow): Promise<Buffer> {
    const { body } = await objects.get(attempt.video_s3_key as string);
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(Buffer.from(chunk as Buffer));
    const bytes = Buffer.concat(chunks);
    if (createHash('sha256').update(bytes).digest('hex') !== attempt.video_sha256)
      throw new RecordingChangedError();
    return bytes;
  }

  /** Records a decided attempt and everything that follows from it, once. */
  async function record(
    attempt: LivenessRow,
    verdict: LivenessVerdict,
    riskLabel: RiskLabel,
    engine: Record<string, unknown> | null,
    faceSimilarityScore: number | null,
  ): Promise<void> {
    await repositories.transaction(async (tx) => {
      const current = await tx.sessions.lock(attempt.session_id);
      if (!current) return;
      const decided = await tx.liveness.update(
        attempt.id,
        {
          status: verdict.status as LivenessRow['status'],
          confidence_score: verdict.confidenceScore,
          failure_reason: verdict.failureCodes.length ? verdict.failureCodes.join(',') : null,
          risk_label: riskLabel,
          signals_json: JSON.stringify({
            ...(attempt.signals_json ?? {}),
            source: 'server-video',
            faceSimilarityScore,
            ...(engine ? { video: engine } : {}),
          }),
        },
        { whileStatus: 'analyzing' },
      );
      // Another run of this job (a retry after a lost acknowledgement) decided it already.
      if (!decided) return;
      const updated = await tx.sessions.update(attempt.session_id, {
        // Only ever from the server's own match of the best frontal frame with the document portrait.
        face_similarity_score: faceSimilarityScore ?? current.face_similarity_score,
        risk_label: maxRisk(current.risk_label, riskLabel),
      });
      await tx.auditEvents.append({
        sessionId: attempt.session_id,
        organizationId: current.organization_id,
        eventType: 'liveness_completed',
        actorType: 'system',
        payload: { requestId: attempt.client_request_id, ...verdict, faceSimilarityScore },
        rawScores: { livenessConfidence: verdict.confidenceScore, faceSimilarityScore },
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
    views.forget(attempt.session_id);
  }

  /**
   * The session's portrait descriptor. Document analysis is a job of its own started by
   * upload-complete: a recording that arrives while it still runs waits for it (it ends within its
   * own timeout, as completed or failed) instead of being judged without the face match.
   */
  async function portraitDescriptor(sessionId: string, signal: AbortSignal): Promise<number[] | undefined> {
    for (;;) {
      const session = await repositories.sessions.find(sessionId);
      const descriptor = session?.portrait_descriptor;
      if (descriptor?.length === 128) return descriptor;
      const assets = await repositories.assets.listForSession(sessionId);
      const analysing = assets.some(
        (asset) => asset.analysis_status === 'pending' || asset.analysis_status === 'processing',
      );
      if (!analysing) return undefined;
      await untilAborted(new Promise((resolve) => setTimeout(resolve, DOCUMENT_POLL_MS)), signal);
    }
  }

  /** A person reviews the recording: the analysis could not run. Only an attempt still `analyzing`. */
  async function sendToReview(attemptId: string): Promise<void> {
    const attempt = await repositories.liveness.find(attemptId);
    if (attempt?.status !== 'analyzing') return;
    await record(
      attempt,
      { passed: false, confidenceScore: 0, failureCodes: [ANALYSIS_CODES.unavailable], status: 'review' },
      'medium',
      null,
      null,
    );
  }

  const running = new Set<Promise<void>>();

  return {
    /** Runs one job; `drain` waits for the runs in progress (shutdown). */
    handle(data: LivenessAnalysisJob, job: JobContext): Promise<void> {
      const run = analyse(data, job);
      running.add(run);
      const forget = () => running.delete(run);
      run.then(forget, forget);
      return run;
    },
    async drain(): Promise<void> {
      await Promise.allSettled([...running]);
    },
    sendToReview,
  };

  async function analyse(data: LivenessAnalysisJob, job: JobContext): Promise<void> {
    const attempt = await repositories.liveness.find(data.attemptId);
    if (attempt?.status !== 'analyzing' || !attempt.video_s3_key || !attempt.challenge) return;
    const session = await repositories.sessions.find(attempt.session_id);
    if (!session) return;
    let analysis: LivenessAnalysis;
    let descriptor: number[] | undefined;
    try {
      descriptor = await portraitDescriptor(session.id, job.signal);
      const bytes = await readRecording(attempt);
      // The frames are analysed on the vision threads; the signal ends the wait at the job's timeout.
      analysis = await untilAborted(
        analyzeLivenessVideo(bytes, {
          challenge: attempt.challenge.steps,
          ...(descriptor ? { documentDescriptor: descriptor } : {}),
        }),
        job.signal,
      );
    } catch (error) {
      if (error instanceof RecordingChangedError) {
        job.logger.warn({ attemptId: attempt.id }, 'liveness recording does not match its recorded hash');
        await record(
          attempt,
          { passed: false, confidenceScore: 0, failureCodes: [ANALYSIS_CODES.integrity], status: 'failed' },
          'high',
          null,
          null,
        );
        return;
      }
      if (!job.lastAttempt) throw error;
      job.logger.error({ err: error, attemptId: attempt.id }, 'liveness analysis failed; sent to review');
      await sendToReview(attempt.id);
      return;
    }
    const failureCodes: string[] = [...analysis.failureCodes];
    if (!descriptor && analysis.checks.video.readable) failureCodes.push(ANALYSIS_CODES.noPortrait);
    const passed = failureCodes.length === 0;
    // 1 for a pass; for a failure, half the share of checks that passed (always < 0.5). It says
    // no more than failureCodes does: no margin of any check.
    const checks = Object.values(analysis.checks);
    const confidenceScore = passed
      ? 1
      : Math.round((checks.filter((check) => check.passed).length / checks.length) * 50) / 100;
    const { bestFrontalFrame, ...signals } = analysis.signals;
    const engine = {
      checks: analysis.checks,
      signals: {
        ...signals,
        bestFrontalFrame: bestFrontalFrame ? { ...bestFrontalFrame, jpeg: undefined } : null,
      },
      sampleRate: LIVENESS_THRESHOLDS.sampleRate,
      challenge: attempt.challenge.steps,
      timingMs: analysis.timingMs,
    };
    job.logger.info(
      { attemptId: attempt.id, passed, failureCodes, ms: analysis.timingMs.total },
      'liveness recording analysed',
    );
    await record(
      attempt,
      { passed, confidenceScore, failureCodes, status: passed ? 'passed' : 'failed' },
      passed ? 'low' : 'high',
      engine,
      analysis.signals.faceSimilarityScore,
    );
  }
}

export type LivenessAnalysisRunner = ReturnType<typeof createLivenessAnalysis>;

/**
 * The analysis of one liveness recording, sent by `complete` in the transaction that marks the
 * attempt `analyzing` (the job exists iff the attempt waits for it). A run that throws, times out
 * or loses its worker is retried; the last one, or the dead letter after a timeout or a killed
 * worker, sends the attempt to review. `analysis` is resolved on first run (a worker process
 * builds kyc lazily).
 */
export function livenessAnalysisJob(analysis: () => LivenessAnalysisRunner, config: KycConfig) {
  return defineJob<LivenessAnalysisJob>({
    name: LIVENESS_ANALYSIS_QUEUE,
    version: 1,
    payload: z.object({ attemptId: z.string().uuid() }),
    dedupe: { key: (payload) => payload.attemptId, while: 'queued-or-running' },
    retry: { limit: LIVENESS_ANALYSIS_RETRIES, delaySeconds: 5, backoff: true },
    // A 20 s recording takes ≈ 20 s of CPU on a busy 2-core machine, after a document analysis
    // it may wait for (at most that job's own timeout).
    timeoutSeconds: 300 + config.analysisTimeoutSeconds,
    liveness: { heartbeatSeconds: 10 },
    // One analysis at a time per process: it already keeps every worker thread of the pool busy.
    concurrency: 1,
    pollingIntervalSeconds: 0.5,
    handle: (payload, job) => analysis().handle(payload, job),
    deadLetter: (payload) => analysis().sendToReview(payload.attemptId),
  });
}

export type LivenessAnalysisJobDefinition = ReturnType<typeof livenessAnalysisJob>;
