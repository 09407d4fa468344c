import { defineSettings, envValue, isLoopbackHost, trimChar } from '@trustplane/kernel';
import { z } from 'zod';

const { flag, optionalString } = envValue;
const withoutTrailingSlash = (value: string | undefined) =>
  value === undefined ? undefined : trimChar(value, '/', 'end');

const loadSettings = defineSettings({
  maxFileSize: [
    'APP__MAX_FILE_SIZE',
    z.coerce
      .number()
      .int()
      .positive()
      .default(100 * 1024 * 1024),
  ],
  defaultQuotaBytes: [
    'MEDIA_DEFAULT_QUOTA_BYTES',
    z.coerce
      .number()
      .int()
      .nonnegative()
      .default(1024 * 1024 * 1024),
  ],
  eagerMediumVariant: ['IMAGE_EAGER_MEDIUM', flag],
  jwtPublicKeyPath: ['JWT_PUBLIC_KEY_PATH', optionalString],
  /** Account's base URL; its JWKS is `{url}/.well-known/jwks.json`. Undefined when not configured. */
  accountServiceUrl: [
    'ACCOUNT_SERVICE_URL',
    optionalString
      .pipe(
        z
          .url({ protocol: /^https?$/ })
          .optional()
          // The keys that vouch for every token are fetched from here: only over TLS, or on this machine.
          .refine(
            (url) => url === undefined || url.startsWith('https:') || isLoopbackHost(new URL(url).hostname),
            { message: 'must use https unless its host is loopback (127.0.0.1, ::1, localhost)' },
          ),
      )
      .transform(withoutTrailingSlash),
  ],
  /**
   * Account's HTTP port on this machine (the platform's `ACCOUNT_PORT`): where its JWKS is looked
   * for when neither `JWT_PUBLIC_KEY_PATH` nor `ACCOUNT_SERVICE_URL` says otherwise, so
   * `trustplane start` with account on another port still verifies its tokens.
   */
  accountPort: ['ACCOUNT_PORT', z.coerce.number().int().min(1).max(65535).default(8874)],
  /** `iss` every token must carry: account's `ACCOUNT_JWT_ISSUER` (its default, unless changed there). */
  jwtIssuer: ['JWT_ISSUER', z.string().min(1).default('trustplane-account')],
  /** Least time between two JWKS fetches caused by unknown `kid`s. */
  keyRefetchIntervalMs: ['JWT_KEY_REFETCH_INTERVAL_MS', z.coerce.number().int().nonnegative().default(1000)],
  /** How long a staged file may sit unwritten, or an upload intent stay rowless, before it is an orphan. */
  orphanGraceMs: [
    'MEDIA_ORPHAN_GRACE_MS',
    z.coerce
      .number()
      .int()
      .nonnegative()
      .default(60 * 60 * 1000),
  ],
});

export type MediaSettings = ReturnType<typeof loadSettings>;

export function loadMediaSettings(env: NodeJS.ProcessEnv): MediaSettings {
  return loadSettings(env);
}
