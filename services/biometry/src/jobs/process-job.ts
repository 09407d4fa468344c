import {
  type Database,
  defineJob,
  InvalidWebhookError,
  type JobContext,
  JobTimeoutError,
  type ObjectStore,
  untilAborted,
  type WebhookDispatcher,
} from '@trustplane/kernel';
import { z } from 'zod';
import type { BiometryConfig } from '../config.js';
import type { JobRepository, JobOutcome } from '../db/job-repository.js';
import type { BiometryDatabase } from '../db/tables.js';
import type { DeclaredIdentity } from '../pipeline/cross-validate.js';
import type { Verifier } from '../pipeline/threaded-verifier.js';
import type { VerificationInput } from '../pipeline/verify-identity.js';

export const PROCESS_QUEUE = 'biometry.process-job';
/** pg-boss retries of a job that throws; also the cap on re-runs after worker crashes. */
export const MAX_RETRIES = 3;

/** Only the job id: images and inputs live in the job row and the object store. */
export interface ProcessJobPayload {
  jobId: string;
}

/**
 * The processing job: one verification per submitted job. Liveness (heartbeats, a dead worker's
 * job handed back) and the timeout are the kernel's; a job that killed its workers on every
 * attempt ends in `error` through the dead letter instead of looping.
 */
export function processJob(deps: { processor: JobProcessor; config: BiometryConfig }) {
  const { processor, config } = deps;
  return defineJob({
    name: PROCESS_QUEUE,
    version: 1,
    payload: z.object({ jobId: z.string() }),
    retry: { limit: MAX_RETRIES, delaySeconds: 2, backoff: true },
    timeoutSeconds: config.jobTimeoutSeconds,
    liveness: { heartbeatSeconds: config.heartbeatSeconds },
    concurrency: config.workerConcurrency,
    pollingIntervalSeconds: 0.5,
    handle: (payload, job) => processor.handle(payload, job),
    async deadLetter(payload, job) {
      if (await processor.abandon(payload.jobId)) job.logger.error({ jobId: payload.jobId }, 'job abandoned');
    },
  });
}

export type ProcessJob = ReturnType<typeof processJob>;

export function createJobProcessor(deps: {
  database: Database<BiometryDatabase>;
  objects: ObjectStore;
  repository: JobRepository;
  verifier: Verifier;
  config: BiometryConfig;
  webhooks: WebhookDispatcher;
  /** Signing secret of a client's callbacks. */
  callbackSecret(clientId: string): Promise<string | undefined>;
  /** Recorded on the job (`worker_id`): the process's job worker id. */
  workerId: string;
}) {
  const { database, objects, repository, verifier, webhooks, workerId } = deps;

  async function load(key: string | undefined): Promise<Buffer | null> {
    if (!key) return null;
    const { body } = await objects.get(key);
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(Buffer.from(chunk as Buffer));
    return Buffer.concat(chunks);
  }

  /**
   * Runs one job. Safe to run again after a crash: the claim is idempotent, the outcome is
   * written once (a second completion changes nothing), and images are deleted only after
   * the outcome is committed.
   */
  async function handle(payload: ProcessJobPayload, context: JobContext): Promise<void> {
    const job = await repository.claim(payload.jobId, workerId);
    if (!job) {
      context.logger.info('job already finished or gone; nothing to do');
      return;
    }
    const started = Date.now();
    let outcome: JobOutcome;
    try {
      const [selfie, recto, verso] = await Promise.all([
        load(job.imageKeys.selfie),
        load(job.imageKeys.cni_recto),
        load(job.imageKeys.cni_verso),
      ]);
      if (!selfie || !recto) throw new Error('images of the job are missing');
      const input: VerificationInput = {
        documentType: job.documentType as VerificationInput['documentType'],
        selfie,
        recto,
        verso,
        declared: job.declaredIdentity as unknown as DeclaredIdentity,
      };
      const result = await untilAborted(verifier.verify(input, context.signal), context.signal);
      outcome = {
        status: result.status,
        outcome: result.outcome,
        failureReason: result.failureReason,
        processingTimeMs: Date.now() - started,
        scores: result.scores,
        crossValidations: result.crossValidations,
      };
    } catch (error) {
      const timedOut = error instanceof JobTimeoutError;
      const missing =
        (error as NodeJS.ErrnoException).code === 'ENOENT' ||
        (error as Error).message === 'images of the job are missing';
      if (!timedOut && !missing) {
        // Unexpected: pg-boss retries it; on the last attempt the job ends in `error` instead of
        // staying `processing` forever.
        if (!context.lastAttempt) throw error;
        context.logger.error({ err: error }, 'job failed on its last attempt');
      }
      // Never log the images or identity: only the reason.
      context.logger.warn({ reason: (error as Error).message }, 'job failed');
      outcome = {
        status: 'error',
        outcome: 'error',
        failureReason: timedOut
          ? (error as Error).message
          : missing
            ? 'the job images are no longer available'
            : `processing failed after ${context.retryCount + 1} attempts`,
        processingTimeMs: Date.now() - started,
        scores: {},
        crossValidations: {},
      };
    }
    const completedAt = new Date();
    const recorded = await database.transaction(async (trx) => {
      const done = await repository.complete(trx, job.id, outcome);
      if (done && job.callbackUrl) {
        const secret = await deps.callbackSecret(job.clientId);
        if (secret) {
          await webhooks
            .enqueue(trx, {
              url: job.callbackUrl,
              secret,
              event: 'job.completed',
              owner: `biometry:${job.clientId}`,
              payload: {
                job_id: job.id,
                citizen_code: job.citizenCode,
                status: outcome.status,
                outcome: outcome.outcome,
                completed_at: completedAt.toISOString(),
                processing_time_ms: outcome.processingTimeMs,
                failure_reason: outcome.failureReason,
                cross_validations: outcome.crossValidations,
                scores: outcome.scores,
              },
            })
            .catch((error) => {
              // A callback URL the dispatcher refuses must not block the result: it stays pollable.
              if (!(error instanceof InvalidWebhookError)) throw error;
              context.logger.warn({ reason: error.message }, 'callback not sent');
            });
        }
      }
      return done;
    });
    if (recorded) {
      // Retention: images go as soon as the outcome is safe in the database.
      await Promise.all(
        Object.values(job.imageKeys).map((key) => objects.delete(key).catch(() => undefined)),
      );
    }
    context.logger.info({ outcome: outcome.outcome, ms: outcome.processingTimeMs }, 'job processed');
  }

  /** Ends a job the queue gave up on (its worker died on every attempt), so it is no longer `processing`. */
  async function abandon(jobId: string): Promise<boolean> {
    const attempts = (await repository.attempts(jobId)) ?? 0;
    return database.transaction((trx) =>
      repository.complete(trx, jobId, {
        status: 'error',
        outcome: 'error',
        failureReason: `the worker stopped while processing this job ${attempts} times`,
        processingTimeMs: 0,
        scores: {},
        crossValidations: {},
      }),
    );
  }

  return { handle, abandon, workerId };
}

export type JobProcessor = ReturnType<typeof createJobProcessor>;
