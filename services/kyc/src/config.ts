import type { PasswordHashParameters } from '@trustplane/kernel';
import { PASSWORD_HASH_PARAMETERS } from '@trustplane/kernel';

export interface KycConfig {
  /** Lifetime of a verification session (hosted flow), seconds. */
  verificationSessionTtlSeconds: number;
  /** Operator cookie lifetimes: browser session (server-side bound) and "remember this device". */
  operatorSessionTtlSeconds: number;
  rememberDeviceTtlSeconds: number;
  passwordHash: PasswordHashParameters;
  uploadUrlTtlSeconds: number;
  viewUrlTtlSeconds: number;
  /** Unset: the validator runs in-process (still reached through a signed request). */
  livenessValidatorUrl: string | undefined;
  livenessValidatorTimeoutMs: number;
  /** Rates at which the hosted page samples `greenChannelMean` (Hz). */
  livenessSampleRateHz: number;
  /** Liveness attempts (`init` calls) per verification session; beyond: 429 `LIVENESS_ATTEMPTS_EXCEEDED`. */
  livenessMaxAttempts: number;
  /** How long `complete` waits for the video analysis before answering `pending`, ms. */
  livenessWaitMs: number;
  /** Load the liveness models in the worker threads when the workers start (else on the first video). */
  livenessPreload: boolean;
  outcomeWebhookUrl: string | undefined;
  outcomeWebhookSecret: string | undefined;
  /** ELA score at or above which a document is rejected as tampered. */
  elaRejectScore: number;
  moireHighScore: number;
  ocrWorkers: number;
  /** Documents analysed at once by one worker process (each on a vision worker thread). */
  analysisConcurrency: number;
  /** Longest analysis of one document before it is retried (then marked failed). */
  analysisTimeoutSeconds: number;
  /** Failed logins per account within 15 min that lock it for 15 min; growing delay after 3. */
  loginMaxFailures: number;
  loginBaseDelayMs: number;
  loginMaxDelayMs: number;
  /** How long after a session expires its objects are kept before the sweep job deletes them. */
  objectRetentionSeconds: number;
  /** Requests per minute per client IP, by family (429 `RATE_LIMITED` beyond). */
  ipRateLimits: IpRateLimits;
}

export interface IpRateLimits {
  signup: number;
  login: number;
  /** Session creation (server to server: a tenant's backend is one IP). */
  sessions: number;
  /** presign + upload-complete. */
  uploads: number;
  /** liveness init, presign-video, complete. */
  liveness: number;
}

function number(value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined || value.trim() === '') return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < min || parsed > max) {
    throw new Error(`invalid kyc setting: ${value} (expected ${min}–${max})`);
  }
  return parsed;
}

function integer(value: string | undefined, fallback: number): number {
  const parsed = number(value, fallback, 1, 1_000_000);
  if (!Number.isInteger(parsed)) throw new Error(`invalid kyc setting: ${value} (expected an integer)`);
  return parsed;
}

function flag(value: string | undefined, fallback: boolean): boolean {
  const normalized = value?.trim().toLowerCase();
  if (normalized === undefined || normalized === '') return fallback;
  if (['1', 'true', 'yes', 'on'].includes(normalized)) return true;
  if (['0', 'false', 'no', 'off'].includes(normalized)) return false;
  throw new Error(`invalid kyc setting: ${value} (expected true or false)`);
}

export function loadKycConfig(env: NodeJS.ProcessEnv): KycConfig {
  return {
    verificationSessionTtlSeconds: number(env.KYC_VERIFICATION_SESSION_TTL_SECONDS, 24 * 3600, 1, 30 * 86400),
    operatorSessionTtlSeconds: number(env.KYC_OPERATOR_SESSION_TTL_SECONDS, 12 * 3600, 60, 7 * 86400),
    rememberDeviceTtlSeconds: number(env.KYC_REMEMBER_DEVICE_TTL_SECONDS, 30 * 86400, 3600, 365 * 86400),
    passwordHash: {
      ...PASSWORD_HASH_PARAMETERS,
      memoryCost: number(
        env.KYC_PASSWORD_HASH_MEMORY_KIB,
        PASSWORD_HASH_PARAMETERS.memoryCost,
        1024,
        1 << 20,
      ),
      timeCost: number(env.KYC_PASSWORD_HASH_TIME_COST, PASSWORD_HASH_PARAMETERS.timeCost, 1, 20),
    },
    uploadUrlTtlSeconds: number(env.KYC_UPLOAD_URL_TTL_SECONDS, 900, 30, 3600),
    viewUrlTtlSeconds: number(env.KYC_VIEW_URL_TTL_SECONDS, 300, 30, 3600),
    livenessValidatorUrl: env.LIVENESS_VALIDATOR_URL?.trim() || undefined,
    livenessValidatorTimeoutMs: number(env.LIVENESS_VALIDATOR_TIMEOUT_MS, 5000, 100, 60_000),
    livenessSampleRateHz: number(env.KYC_LIVENESS_SAMPLE_RATE_HZ, 15, 8, 60),
    livenessMaxAttempts: integer(env.KYC_LIVENESS_MAX_ATTEMPTS, 5),
    livenessWaitMs: number(env.KYC_LIVENESS_WAIT_SECONDS, 20, 0, 600) * 1000,
    livenessPreload: flag(env.KYC_LIVENESS_PRELOAD, true),
    outcomeWebhookUrl: env.VERIFICATION_OUTCOME_WEBHOOK_URL?.trim() || undefined,
    outcomeWebhookSecret: env.VERIFICATION_OUTCOME_WEBHOOK_SECRET?.trim() || undefined,
    elaRejectScore: number(env.KYC_ELA_REJECT_SCORE, 0.5, 0.05, 1),
    moireHighScore: number(env.KYC_MOIRE_HIGH_SCORE, 0.5, 0.05, 1),
    ocrWorkers: number(env.KYC_OCR_WORKERS, 1, 1, 8),
    analysisConcurrency: integer(env.KYC_ANALYSIS_CONCURRENCY, 2),
    analysisTimeoutSeconds: number(env.KYC_ANALYSIS_TIMEOUT_SECONDS, 120, 10, 3600),
    loginMaxFailures: number(env.KYC_LOGIN_MAX_FAILURES, 10, 1, 1000),
    loginBaseDelayMs: number(env.KYC_LOGIN_BASE_DELAY_MS, 500, 0, 10_000),
    loginMaxDelayMs: number(env.KYC_LOGIN_MAX_DELAY_MS, 8000, 0, 60_000),
    objectRetentionSeconds: number(env.KYC_OBJECT_RETENTION_SECONDS, 30 * 86400, 0, 10 * 365 * 86400),
    ipRateLimits: {
      signup: integer(env.KYC_RATE_LIMIT_SIGNUP_PER_MINUTE, 20),
      login: integer(env.KYC_RATE_LIMIT_LOGIN_PER_MINUTE, 30),
      sessions: integer(env.KYC_RATE_LIMIT_SESSIONS_PER_MINUTE, 600),
      uploads: integer(env.KYC_RATE_LIMIT_UPLOADS_PER_MINUTE, 120),
      liveness: integer(env.KYC_RATE_LIMIT_LIVENESS_PER_MINUTE, 60),
    },
  };
}
