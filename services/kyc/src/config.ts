import { defineSettings, PASSWORD_HASH_PARAMETERS } from '@trustplane/kernel';
import { OCR_BUDGET_MS } from '@trustplane/vision';
import { z } from 'zod';

/** A blank value is an unset one (the setting keeps its default). */
const blankAsUnset = (value: unknown) =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

const number = (fallback: number, min: number, max: number) =>
  z.preprocess(blankAsUnset, z.coerce.number().min(min).max(max).default(fallback));
const integer = (fallback: number) =>
  z.preprocess(blankAsUnset, z.coerce.number().int().min(1).max(1_000_000).default(fallback));
const flag = (fallback: boolean) =>
  z.preprocess(
    (value) => (typeof value === 'string' ? value.trim().toLowerCase() : value),
    z
      .enum(['', '1', 'true', 'yes', 'on', '0', 'false', 'no', 'off'])
      .optional()
      .transform((value) =>
        value === undefined || value === '' ? fallback : ['1', 'true', 'yes', 'on'].includes(value),
      ),
  );
const optionalText = z
  .string()
  .optional()
  .transform((value) => value?.trim() || undefined);

const loadSettings = defineSettings({
  /** Lifetime of a verification session (hosted flow), seconds. */
  verificationSessionTtlSeconds: ['KYC_VERIFICATION_SESSION_TTL_SECONDS', number(24 * 3600, 1, 30 * 86400)],
  /** Operator cookie lifetimes: browser session (server-side bound) and "remember this device". */
  operatorSessionTtlSeconds: ['KYC_OPERATOR_SESSION_TTL_SECONDS', number(12 * 3600, 60, 7 * 86400)],
  rememberDeviceTtlSeconds: ['KYC_REMEMBER_DEVICE_TTL_SECONDS', number(30 * 86400, 3600, 365 * 86400)],
  passwordHash: {
    memoryCost: ['KYC_PASSWORD_HASH_MEMORY_KIB', number(PASSWORD_HASH_PARAMETERS.memoryCost, 1024, 1 << 20)],
    timeCost: ['KYC_PASSWORD_HASH_TIME_COST', number(PASSWORD_HASH_PARAMETERS.timeCost, 1, 20)],
  },
  uploadUrlTtlSeconds: ['KYC_UPLOAD_URL_TTL_SECONDS', number(900, 30, 3600)],
  viewUrlTtlSeconds: ['KYC_VIEW_URL_TTL_SECONDS', number(300, 30, 3600)],
  /** Unset: the validator runs in-process (still reached through a signed request). */
  livenessValidatorUrl: ['LIVENESS_VALIDATOR_URL', optionalText],
  /** Shared with an external validator; unset: derived from the platform signing secret. */
  livenessValidatorSecret: ['LIVENESS_VALIDATOR_SECRET', optionalText],
  livenessValidatorTimeoutMs: ['LIVENESS_VALIDATOR_TIMEOUT_MS', number(5000, 100, 60_000)],
  /** Rates at which the hosted page samples `greenChannelMean` (Hz). */
  livenessSampleRateHz: ['KYC_LIVENESS_SAMPLE_RATE_HZ', number(15, 8, 60)],
  /** Liveness attempts (`init` calls) per verification session; beyond: 429 `LIVENESS_ATTEMPTS_EXCEEDED`. */
  livenessMaxAttempts: ['KYC_LIVENESS_MAX_ATTEMPTS', integer(5)],
  /** How long `complete` waits for the video analysis before answering `pending`, ms. */
  livenessWaitMs: ['KYC_LIVENESS_WAIT_SECONDS', number(20, 0, 600).transform((seconds) => seconds * 1000)],
  /** Load the liveness models in the worker threads when the workers start (else on the first video). */
  livenessPreload: ['KYC_LIVENESS_PRELOAD', flag(true)],
  outcomeWebhookUrl: ['VERIFICATION_OUTCOME_WEBHOOK_URL', optionalText],
  outcomeWebhookSecret: ['VERIFICATION_OUTCOME_WEBHOOK_SECRET', optionalText],
  /** ELA score at or above which a document is rejected as tampered. */
  elaRejectScore: ['KYC_ELA_REJECT_SCORE', number(0.5, 0.05, 1)],
  moireHighScore: ['KYC_MOIRE_HIGH_SCORE', number(0.5, 0.05, 1)],
  ocrWorkers: ['KYC_OCR_WORKERS', number(1, 1, 8)],
  /** CPU time (ms, of the OCR worker thread) one document image's MRZ reading may take; past it the MRZ is unreadable (`extracted.mrzOcr.timedOut`). */
  ocrBudgetMs: ['KYC_OCR_BUDGET_MS', number(OCR_BUDGET_MS, 1, 600_000)],
  /** Documents analysed at once by one worker process (each on a vision worker thread). */
  analysisConcurrency: ['KYC_ANALYSIS_CONCURRENCY', integer(2)],
  /** Longest analysis of one document before it is retried (then marked failed). */
  analysisTimeoutSeconds: ['KYC_ANALYSIS_TIMEOUT_SECONDS', number(120, 10, 3600)],
  /** Failed logins per account within 15 min that lock it for 15 min; growing delay after 3. */
  loginMaxFailures: ['KYC_LOGIN_MAX_FAILURES', number(10, 1, 1000)],
  loginBaseDelayMs: ['KYC_LOGIN_BASE_DELAY_MS', number(500, 0, 10_000)],
  loginMaxDelayMs: ['KYC_LOGIN_MAX_DELAY_MS', number(8000, 0, 60_000)],
  /** How long after a session expires its objects are kept before the sweep job deletes them. */
  objectRetentionSeconds: ['KYC_OBJECT_RETENTION_SECONDS', number(30 * 86400, 0, 10 * 365 * 86400)],
  /** Requests per minute per client IP, by family (429 `RATE_LIMITED` beyond). */
  ipRateLimits: {
    signup: ['KYC_RATE_LIMIT_SIGNUP_PER_MINUTE', integer(20)],
    login: ['KYC_RATE_LIMIT_LOGIN_PER_MINUTE', integer(30)],
    /** Session creation (server to server: a tenant's backend is one IP). */
    sessions: ['KYC_RATE_LIMIT_SESSIONS_PER_MINUTE', integer(600)],
    /** presign + upload-complete. */
    uploads: ['KYC_RATE_LIMIT_UPLOADS_PER_MINUTE', integer(120)],
    /** liveness init, presign-video, complete. */
    liveness: ['KYC_RATE_LIMIT_LIVENESS_PER_MINUTE', integer(60)],
  },
});

export type KycConfig = ReturnType<typeof loadKycConfig>;
export type IpRateLimits = KycConfig['ipRateLimits'];

/** Settings from the environment (README, "Configuration"); a bad value stops the start naming it. */
export function loadKycConfig(env: NodeJS.ProcessEnv) {
  const { passwordHash, ...settings } = loadSettings(env);
  return { ...settings, passwordHash: { ...PASSWORD_HASH_PARAMETERS, ...passwordHash } };
}
