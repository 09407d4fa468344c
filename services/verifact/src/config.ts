import { defineSettings, envValue } from '@trustplane/kernel';
import { z } from 'zod';

const atLeast = (min: number, fallback: number) => z.coerce.number().int().min(min).default(fallback);

/** Limits and settings of the service (see the README's configuration table). */
export const loadVerifactConfig = defineSettings({
  /** PEM bundle of C2PA trust anchors; without it every signer is `signingCredential.untrusted`. */
  trustAnchorsFile: ['VERIFACT_TRUST_ANCHORS', z.string().min(1).optional()],
  maxPhotoBytes: [
    'VERIFACT_MAX_PHOTO_BYTES',
    z.coerce
      .number()
      .int()
      .positive()
      .default(25 * 1024 * 1024),
  ],
  urlTimeoutMs: ['VERIFACT_URL_TIMEOUT_MS', atLeast(100, 10_000)],
  /** Development only: let `{url}` verification fetch loopback and private addresses. */
  allowPrivateUrls: ['VERIFACT_ALLOW_PRIVATE_URLS', envValue.flag],
  verifierProcesses: ['VERIFACT_VERIFIER_PROCESSES', z.coerce.number().int().min(1).max(16).default(2)],
  verifierMemoryMb: ['VERIFACT_VERIFIER_MEMORY_MB', atLeast(64, 192)],
  verifierTimeoutMs: ['VERIFACT_VERIFIER_TIMEOUT_MS', atLeast(100, 5000)],
  /** Photos waiting for a verifier process beyond the ones being read; more → 429. */
  verifierQueue: ['VERIFACT_VERIFIER_QUEUE', atLeast(0, 32)],
  /** Most assertions a manifest may hold before c2pa-rs reads it (its time grows with their square). */
  verifierMaxAssertions: ['VERIFACT_VERIFIER_MAX_ASSERTIONS', atLeast(1, 1000)],
  defaultDailyLimit: ['VERIFACT_DEFAULT_DAILY_LIMIT', atLeast(0, 5000)],
  /** Days the request log keeps a row (≥ 2: the sliding 24 h window must stay whole). */
  requestLogRetentionDays: ['VERIFACT_REQUEST_LOG_RETENTION_DAYS', atLeast(2, 62)],
  /** Delay before the welcome-mail job tries (again) after the inline send failed, doubling per retry. */
  welcomeMailRetrySeconds: ['VERIFACT_WELCOME_MAIL_RETRY_SECONDS', atLeast(1, 60)],
});

export type VerifactConfig = ReturnType<typeof loadVerifactConfig>;
