import { defineSettings, envValue } from '@trustplane/kernel';
import { defaultVisionWorkers, OCR_BUDGET_MS } from '@trustplane/vision';
import { z } from 'zod';

const { number } = envValue;
const bytes = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/** Named thresholds and limits (see README for what each means and how it was chosen). */
export const loadBiometryConfig = defineSettings({
  faceMatchDistance: ['BIOMETRY_FACE_MATCH_DISTANCE', number(0.55)],
  faceRejectDistance: ['BIOMETRY_FACE_REJECT_DISTANCE', number(0.68)],
  faceMinConfidence: ['BIOMETRY_FACE_MIN_CONFIDENCE', number(0.5)],
  nameMatchScore: ['BIOMETRY_NAME_MATCH_SCORE', number(0.9)],
  nameRejectScore: ['BIOMETRY_NAME_REJECT_SCORE', number(0.6)],
  ocrMinConfidence: ['BIOMETRY_OCR_MIN_CONFIDENCE', number(0.55)],
  moireReviewScore: ['BIOMETRY_MOIRE_REVIEW_SCORE', number(0.5)],
  elaReviewScore: ['BIOMETRY_ELA_REVIEW_SCORE', number(1.01)],
  portraitGhostReviewRatio: ['BIOMETRY_PORTRAIT_GHOST_REVIEW_RATIO', number(2.5)],
  jobTimeoutSeconds: ['BIOMETRY_JOB_TIMEOUT_SECONDS', z.coerce.number().int().min(10).default(120)],
  // One job per vision thread by default: the verification runs on those threads, so fewer jobs at
  // once would leave a core idle and more would only queue on the threads.
  workerConcurrency: [
    'BIOMETRY_WORKER_CONCURRENCY',
    z.coerce
      .number()
      .int()
      .min(1)
      .max(16)
      .default(() => defaultVisionWorkers()),
  ],
  ocrWorkers: ['BIOMETRY_OCR_WORKERS', z.coerce.number().int().min(1).max(8).default(1)],
  /** CPU time (ms, of the OCR worker thread) one side's MRZ reading may take; past it that side's MRZ is unreadable (`scores.ocr_timed_out`). */
  ocrBudgetMs: ['BIOMETRY_OCR_BUDGET_MS', z.coerce.number().int().min(1).max(600_000).default(OCR_BUDGET_MS)],
  resultRetentionHours: ['BIOMETRY_RESULT_RETENTION_HOURS', z.coerce.number().min(0).default(24)],
  maxImageBytes: ['BIOMETRY_MAX_IMAGE_BYTES', bytes(10 * 1024 * 1024)],
  bodyLimitBytes: ['BIOMETRY_BODY_LIMIT_BYTES', bytes(64 * 1024 * 1024)],
  heartbeatSeconds: ['BIOMETRY_HEARTBEAT_SECONDS', z.coerce.number().int().min(1).default(10)],
});

export type BiometryConfig = ReturnType<typeof loadBiometryConfig>;
