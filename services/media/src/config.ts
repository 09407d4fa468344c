import { parseEnv, trimChar } from '@trustplane/kernel';
import { z } from 'zod';

const flag = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no', ''])
  .optional()
  .transform((value) => value === '1' || value === 'true' || value === 'yes');

const emptyAsUndefined = z
  .string()
  .optional()
  .transform((value) => (value === '' ? undefined : value));

const mediaEnvSchema = z.object({
  APP__MAX_FILE_SIZE: z.coerce
    .number()
    .int()
    .positive()
    .default(100 * 1024 * 1024),
  MEDIA_DEFAULT_QUOTA_BYTES: z.coerce
    .number()
    .int()
    .nonnegative()
    .default(1024 * 1024 * 1024),
  IMAGE_EAGER_MEDIUM: flag,
  JWT_PUBLIC_KEY_PATH: emptyAsUndefined,
  ACCOUNT_SERVICE_URL: z.string().url().default('http://127.0.0.1:8874'),
  /** When set, tokens must carry this `iss`; account's issuer is not fixed by the seed. */
  JWT_ISSUER: emptyAsUndefined,
  /** Public origin used in `share_url`; defaults to the service's own public URL. */
  MEDIA_PUBLIC_URL: emptyAsUndefined,
  /** Least time between two public-key fetches caused by unknown `kid`s. */
  JWT_KEY_REFETCH_INTERVAL_MS: z.coerce.number().int().nonnegative().default(1000),
  /** How long a staged file may sit unwritten, or an upload intent stay rowless, before it is an orphan. */
  MEDIA_ORPHAN_GRACE_MS: z.coerce
    .number()
    .int()
    .nonnegative()
    .default(60 * 60 * 1000),
});

export interface MediaSettings {
  maxFileSize: number;
  defaultQuotaBytes: number;
  eagerMediumVariant: boolean;
  jwtPublicKeyPath: string | undefined;
  accountServiceUrl: string;
  jwtIssuer: string | undefined;
  publicUrl: string | undefined;
  keyRefetchIntervalMs: number;
  orphanGraceMs: number;
}

export function loadMediaSettings(env: NodeJS.ProcessEnv = process.env): MediaSettings {
  const parsed = parseEnv(mediaEnvSchema, env);
  return {
    maxFileSize: parsed.APP__MAX_FILE_SIZE,
    defaultQuotaBytes: parsed.MEDIA_DEFAULT_QUOTA_BYTES,
    eagerMediumVariant: parsed.IMAGE_EAGER_MEDIUM,
    jwtPublicKeyPath: parsed.JWT_PUBLIC_KEY_PATH,
    accountServiceUrl: trimChar(parsed.ACCOUNT_SERVICE_URL, '/', 'end'),
    jwtIssuer: parsed.JWT_ISSUER,
    publicUrl:
      parsed.MEDIA_PUBLIC_URL === undefined ? undefined : trimChar(parsed.MEDIA_PUBLIC_URL, '/', 'end'),
    keyRefetchIntervalMs: parsed.JWT_KEY_REFETCH_INTERVAL_MS,
    orphanGraceMs: parsed.MEDIA_ORPHAN_GRACE_MS,
  };
}
