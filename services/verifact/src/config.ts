import { parseEnv } from '@trustplane/kernel';
import { z } from 'zod';

const flag = z
  .enum(['0', '1', 'true', 'false'])
  .optional()
  .transform((value) => value === '1' || value === 'true');

const verifactEnvSchema = z.object({
  VERIFACT_TRUST_ANCHORS: z.string().min(1).optional(),
  VERIFACT_MAX_PHOTO_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(25 * 1024 * 1024),
  VERIFACT_URL_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  VERIFACT_ALLOW_PRIVATE_URLS: flag,
  VERIFACT_VERIFIER_PROCESSES: z.coerce.number().int().min(1).max(16).default(2),
  VERIFACT_VERIFIER_MEMORY_MB: z.coerce.number().int().min(64).default(192),
  VERIFACT_VERIFIER_TIMEOUT_MS: z.coerce.number().int().min(100).default(5000),
  VERIFACT_VERIFIER_QUEUE: z.coerce.number().int().min(0).default(32),
  VERIFACT_DEFAULT_DAILY_LIMIT: z.coerce.number().int().min(0).default(5000),
  VERIFACT_REQUEST_LOG_RETENTION_DAYS: z.coerce.number().int().min(2).default(62),
  VERIFACT_WELCOME_MAIL_RETRY_SECONDS: z.coerce.number().int().min(1).default(60),
});

/** Limits and settings of the service (see the README's configuration table). */
export interface VerifactConfig {
  /** PEM bundle of C2PA trust anchors; without it every signer is `signingCredential.untrusted`. */
  trustAnchorsFile: string | undefined;
  maxPhotoBytes: number;
  urlTimeoutMs: number;
  /** Development only: let `{url}` verification fetch loopback and private addresses. */
  allowPrivateUrls: boolean;
  verifierProcesses: number;
  verifierMemoryMb: number;
  verifierTimeoutMs: number;
  /** Photos waiting for a verifier process beyond the ones being read; more → 429. */
  verifierQueue: number;
  defaultDailyLimit: number;
  /** Days the request log keeps a row (≥ 2: the sliding 24 h window must stay whole). */
  requestLogRetentionDays: number;
  /** Delay before the welcome-mail job tries (again) after the inline send failed, doubling per retry. */
  welcomeMailRetrySeconds: number;
}

export function loadVerifactConfig(env: NodeJS.ProcessEnv): VerifactConfig {
  const parsed = parseEnv(verifactEnvSchema, env);
  return {
    trustAnchorsFile: parsed.VERIFACT_TRUST_ANCHORS,
    maxPhotoBytes: parsed.VERIFACT_MAX_PHOTO_BYTES,
    urlTimeoutMs: parsed.VERIFACT_URL_TIMEOUT_MS,
    allowPrivateUrls: parsed.VERIFACT_ALLOW_PRIVATE_URLS,
    verifierProcesses: parsed.VERIFACT_VERIFIER_PROCESSES,
    verifierMemoryMb: parsed.VERIFACT_VERIFIER_MEMORY_MB,
    verifierTimeoutMs: parsed.VERIFACT_VERIFIER_TIMEOUT_MS,
    verifierQueue: parsed.VERIFACT_VERIFIER_QUEUE,
    defaultDailyLimit: parsed.VERIFACT_DEFAULT_DAILY_LIMIT,
    requestLogRetentionDays: parsed.VERIFACT_REQUEST_LOG_RETENTION_DAYS,
    welcomeMailRetrySeconds: parsed.VERIFACT_WELCOME_MAIL_RETRY_SECONDS,
  };
}
