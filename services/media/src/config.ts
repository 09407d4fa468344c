import { isLoopbackHost, parseEnv, trimChar } from '@trustplane/kernel';
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
  ACCOUNT_SERVICE_URL: emptyAsUndefined.pipe(
    z
      .url({ protocol: /^https?$/ })
      .optional()
      // The keys that vouch for every token are fetched from here: only over TLS, or on this machine.
      .refine(
        (url) => url === undefined || url.startsWith('https:') || isLoopbackHost(new URL(url).hostname),
        {
          message: 'must use https unless its host is loopback (127.0.0.1, ::1, localhost)',
        },
      ),
  ),
  /** `iss` every token must carry: account's `ACCOUNT_JWT_ISSUER` (its default, unless changed there). */
  JWT_ISSUER: z.string().min(1).default('trustplane-account'),
  /** Public origin used in `share_url`; defaults to the service's own public URL. */
  MEDIA_PUBLIC_URL: emptyAsUndefined,
  /** Least time between two JWKS fetches caused by unknown `kid`s. */
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
  /** Account's base URL; its JWKS is `{url}/.well-known/jwks.json`. Undefined when not configured. */
  accountServiceUrl: string | undefined;
  jwtIssuer: string;
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
    accountServiceUrl:
      parsed.ACCOUNT_SERVICE_URL === undefined ? undefined : trimChar(parsed.ACCOUNT_SERVICE_URL, '/', 'end'),
    jwtIssuer: parsed.JWT_ISSUER,
    publicUrl:
      parsed.MEDIA_PUBLIC_URL === undefined ? undefined : trimChar(parsed.MEDIA_PUBLIC_URL, '/', 'end'),
    keyRefetchIntervalMs: parsed.JWT_KEY_REFETCH_INTERVAL_MS,
    orphanGraceMs: parsed.MEDIA_ORPHAN_GRACE_MS,
  };
}
