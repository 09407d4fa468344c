import { parseEnv } from '@trustplane/kernel';
import { z } from 'zod';

const number = (fallback: number) => z.coerce.number().finite().default(fallback);

const biometryEnvSchema = z.object({
  BIOMETRY_FACE_MATCH_DISTANCE: number(0.55),
  BIOMETRY_FACE_REJECT_DISTANCE: number(0.68),
  BIOMETRY_FACE_MIN_CONFIDENCE: number(0.5),
  BIOMETRY_NAME_MATCH_SCORE: number(0.9),
  BIOMETRY_NAME_REJECT_SCORE: number(0.6),
  BIOMETRY_OCR_MIN_CONFIDENCE: number(0.55),
  BIOMETRY_MOIRE_REVIEW_SCORE: number(0.5),
  BIOMETRY_ELA_REVIEW_SCORE: number(1.01),
  BIOMETRY_PORTRAIT_GHOST_REVIEW_RATIO: number(2.5),
  BIOMETRY_JOB_TIMEOUT_SECONDS: z.coerce.number().int().min(10).default(120),
  BIOMETRY_WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(16).default(1),
  BIOMETRY_OCR_WORKERS: z.coerce.number().int().min(1).max(8).default(1),
  BIOMETRY_RESULT_RETENTION_HOURS: z.coerce.number().min(0).default(24),
  BIOMETRY_MAX_IMAGE_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(10 * 1024 * 1024),
  BIOMETRY_BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(64 * 1024 * 1024),
  BIOMETRY_HEARTBEAT_SECONDS: z.coerce.number().int().min(1).default(10),
});

/** Named thresholds and limits (see README for what each means and how it was chosen). */
export interface BiometryConfig {
  faceMatchDistance: number;
  faceRejectDistance: number;
  faceMinConfidence: number;
  nameMatchScore: number;
  nameRejectScore: number;
  ocrMinConfidence: number;
  moireReviewScore: number;
  elaReviewScore: number;
  portraitGhostReviewRatio: number;
  jobTimeoutSeconds: number;
  workerConcurrency: number;
  ocrWorkers: number;
  resultRetentionHours: number;
  maxImageBytes: number;
  bodyLimitBytes: number;
  heartbeatSeconds: number;
}

export function loadBiometryConfig(env: NodeJS.ProcessEnv): BiometryConfig {
  const parsed = parseEnv(biometryEnvSchema, env);
  return {
    faceMatchDistance: parsed.BIOMETRY_FACE_MATCH_DISTANCE,
    faceRejectDistance: parsed.BIOMETRY_FACE_REJECT_DISTANCE,
    faceMinConfidence: parsed.BIOMETRY_FACE_MIN_CONFIDENCE,
    nameMatchScore: parsed.BIOMETRY_NAME_MATCH_SCORE,
    nameRejectScore: parsed.BIOMETRY_NAME_REJECT_SCORE,
    ocrMinConfidence: parsed.BIOMETRY_OCR_MIN_CONFIDENCE,
    moireReviewScore: parsed.BIOMETRY_MOIRE_REVIEW_SCORE,
    elaReviewScore: parsed.BIOMETRY_ELA_REVIEW_SCORE,
    portraitGhostReviewRatio: parsed.BIOMETRY_PORTRAIT_GHOST_REVIEW_RATIO,
    jobTimeoutSeconds: parsed.BIOMETRY_JOB_TIMEOUT_SECONDS,
    workerConcurrency: parsed.BIOMETRY_WORKER_CONCURRENCY,
    ocrWorkers: parsed.BIOMETRY_OCR_WORKERS,
    resultRetentionHours: parsed.BIOMETRY_RESULT_RETENTION_HOURS,
    maxImageBytes: parsed.BIOMETRY_MAX_IMAGE_BYTES,
    bodyLimitBytes: parsed.BIOMETRY_BODY_LIMIT_BYTES,
    heartbeatSeconds: parsed.BIOMETRY_HEARTBEAT_SECONDS,
  };
}
