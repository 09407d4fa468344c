import { createHash } from 'node:crypto';
import type { AnyObjectStore, JobContext, JobDefinition } from '@trustplane/kernel';
import { analyzeLivenessVideo, LIVENESS_THRESHOLDS, type LivenessAnalysis } from '@trustplane/vision';
import { maxRisk } from '../analysis/analysis-pipeline.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { LivenessRow, VerificationRepository } from '../db/verification-repository.js';
import type { RiskLabel } from '../db/tables.js';
import type { SessionWebhooks } from '../webhooks/session-webhooks.js';
import type { LivenessVerdict } from './liveness.js';

export const LIVENESS_ANALYSIS_QUEUE = 'kyc.liveness-analysis';
/** Retries of an analysis that threw (engine start-up, a worker thread that died); then review. */
export const LIVENESS_ANALYSIS_RETRIES = 2;

export interface LivenessAnalysisJob {
  version: 1;
  attemptId: string;
}

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
  repository: VerificationRepository;
  objects: AnyObjectStore;
  audit: AuditLog;
  webhooks: SessionWebhooks;
}) {
  const { repository, objects, audit, webhooks } = options;

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
    await repository.transaction(async (trx) => {
      const current = await repository.lockSession(trx, attempt.session_id);
      if (!current) return;
      const decided = await repository.updateLiveness(
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
        { whileStatus: 'analyzing', executor: trx },
      );
      // Another run of this job (a retry after a lost acknowledgement) decided it already.
      if (!decided) return;
      const updated = await repository.updateSession(trx, attempt.session_id, {
        // Only ever from the server's own match of the best frontal frame with the document portrait.
        face_similarity_score: faceSimilarityScore ?? current.face_similarity_score,
        risk_label: maxRisk(current.risk_label, riskLabel),
      });
      await audit.append(trx, {
        sessionId: attempt.session_id,
        organizationId: current.organization_id,
        eventType: 'liveness_completed',
        actorType: 'system',
        payload: { requestId: attempt.client_request_id, ...verdict, faceSimilarityScore },
        rawScores: { livenessConfidence: verdict.confidenceScore, faceSimilarityScore },
      });
      await webhooks.emit(trx, updated, 'verification.completed', {
        status: updated.review_status === 'pending' ? 'submitted' : updated.review_status,
        reviewStatus: updated.review_status,
        liveness: verdict,
        faceSimilarityScore: updated.face_similarity_score,
        riskLabel: updated.risk_label,
        automatedBlockReason: updated.automated_block_reason,
      });
    });
    repository.forget(attempt.session_id);
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
  };

  async function analyse(data: LivenessAnalysisJob, job: JobContext): Promise<void> {
    const attempt = await repository.findLiveness(data.attemptId);
    if (attempt?.status !== 'analyzing' || !attempt.video_s3_key || !attempt.challenge) return;
    const session = await repository.findSession(attempt.session_id);
    if (!session) return;
    const descriptor = session.portrait_descriptor?.length === 128 ? session.portrait_descriptor : undefined;
    let analysis: LivenessAnalysis;
    try {
      const bytes = await readRecording(attempt);
      analysis = await analyzeLivenessVideo(bytes, {
        challenge: attempt.challenge.steps,
        ...(descriptor ? { documentDescriptor: descriptor } : {}),
      });
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
      if (job.retryCount < LIVENESS_ANALYSIS_RETRIES) throw error;
      job.logger.error({ err: error, attemptId: attempt.id }, 'liveness analysis failed; sent to review');
      await record(
        attempt,
        { passed: false, confidenceScore: 0, failureCodes: [ANALYSIS_CODES.unavailable], status: 'review' },
        'medium',
        null,
        null,
      );
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

/** The pg-boss job; `analysis` is resolved on first run (a worker process builds kyc lazily). */
export function livenessAnalysisJob(
  analysis: () => LivenessAnalysisRunner,
): JobDefinition<LivenessAnalysisJob> {
  return {
    queue: LIVENESS_ANALYSIS_QUEUE,
    retryLimit: LIVENESS_ANALYSIS_RETRIES,
    retryDelay: 5,
    retryBackoff: true,
    // A 20 s recording takes ≈ 20 s of CPU on a busy 2-core machine; past this the worker is gone.
    expireInSeconds: 300,
    // One analysis at a time per process: it already keeps every worker thread of the pool busy.
    concurrency: 1,
    pollingIntervalSeconds: 0.5,
    handle: (data, job) => analysis().handle(data, job),
  };
}
