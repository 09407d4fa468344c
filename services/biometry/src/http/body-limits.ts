import type { BiometryConfig } from '../config.js';

/** Images per job: selfie, recto, verso. */
const IMAGES_PER_JOB = 3;
/** Everything in a job besides its images (codes, declared identity, callback URL), generously. */
const JOB_FIELDS_BYTES = 64 * 1024;

/**
 * Largest JSON text of one image of `maxImageBytes`: its base64 (4/3), plus 10 % for what a
 * client may legitimately add — MIME line breaks (`\r\n` every 76 characters, escaped in JSON)
 * and JSON-escaped slashes (`\/`).
 */
function base64JsonBytes(maxImageBytes: number): number {
  return Math.ceil(Math.ceil(maxImageBytes / 3) * 4 * 1.1);
}

/**
 * Per-route request body limits, sized to the largest valid request so that anything larger is
 * refused from its `Content-Length` (or as soon as it streams past the limit), never buffered.
 */
export function biometryBodyLimits(config: Pick<BiometryConfig, 'maxImageBytes' | 'bodyLimitBytes'>) {
  const job = IMAGES_PER_JOB * base64JsonBytes(config.maxImageBytes) + JOB_FIELDS_BYTES;
  return {
    /** One job: three images at the per-image limit (10 MB → 44 MiB). */
    submit: job,
    /** Up to 100 jobs, capped by `BIOMETRY_BODY_LIMIT_BYTES` (64 MiB), never below one full job. */
    submitBatch: Math.max(config.bodyLimitBytes, job),
    /** Up to 1000 job ids of at most 200 characters. */
    ack: 256 * 1024,
  };
}

export type BiometryBodyLimits = ReturnType<typeof biometryBodyLimits>;
