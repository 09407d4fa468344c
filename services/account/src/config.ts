import {
  defineSettings,
  envValue,
  PASSWORD_HASH_PARAMETERS,
  type PasswordHashParameters,
  parseTrustedProxies,
  trimChar,
} from '@trustplane/kernel';
import { z } from 'zod';

const { integer } = envValue;
const perMinute = (fallback: number) => integer(fallback, 1);

const loadSettings = defineSettings({
  production: [
    'NODE_ENV',
    z
      .string()
      .optional()
      .transform((value) => value === 'production'),
  ],
  issuer: ['ACCOUNT_JWT_ISSUER', z.string().min(1).default('trustplane-account')],
  accessTokenTtl: ['ACCOUNT_ACCESS_TOKEN_TTL_SECONDS', integer(900, 30, 86_400)],
  refreshTokenTtl: ['ACCOUNT_REFRESH_TOKEN_TTL_SECONDS', integer(30 * 86_400, 60, 365 * 86_400)],
  serviceTokenTtl: ['ACCOUNT_SERVICE_TOKEN_TTL_SECONDS', integer(3600, 30, 86_400)],
  passwordResetTtl: ['ACCOUNT_PASSWORD_RESET_TTL_SECONDS', integer(3600, 60, 86_400)],
  emailVerificationTtl: ['ACCOUNT_EMAIL_VERIFICATION_TTL_SECONDS', integer(2 * 86_400, 60, 30 * 86_400)],
  invitationTtl: ['ACCOUNT_INVITATION_TTL_SECONDS', integer(7 * 86_400, 60, 90 * 86_400)],
  publicKeyCacheDays: ['ACCOUNT_PUBLIC_KEY_CACHE_DAYS', integer(90, 1, 3650)],
  cookie: {
    domain: ['ACCOUNT_COOKIE_DOMAIN', envValue.optionalString],
    sameSite: ['ACCOUNT_COOKIE_SAMESITE', z.enum(['strict', 'lax', 'none']).default('lax')],
    /** Unset or empty: secure in production only. */
    secure: [
      'ACCOUNT_COOKIE_SECURE',
      z
        .enum(['1', '0', 'true', 'false', 'yes', 'no', ''])
        .optional()
        .transform((value) =>
          value === undefined || value === '' ? undefined : ['1', 'true', 'yes'].includes(value),
        ),
    ],
  },
  csrfHeader: [
    'ACCOUNT_CSRF_HEADER',
    z
      .string()
      .regex(/^[A-Za-z0-9-]+$/)
      .default('X-CSRF-Token')
      .transform((header) => header.toLowerCase()),
  ],
  frontendBaseUrl: ['ACCOUNT_FRONTEND_BASE_URL', z.url().optional()],
  apiKeyEnv: [
    'ACCOUNT_API_KEY_ENV',
    z
      .string()
      .regex(/^[a-z0-9]+$/)
      .default('live'),
  ],
  rateLimits: {
    register: ['ACCOUNT_RATE_LIMIT_REGISTER_PER_MINUTE', perMinute(3)],
    login: ['ACCOUNT_RATE_LIMIT_LOGIN_PER_MINUTE', perMinute(5)],
    verify: ['ACCOUNT_RATE_LIMIT_VERIFY_PER_MINUTE', perMinute(100)],
    general: ['ACCOUNT_RATE_LIMIT_GENERAL_PER_MINUTE', perMinute(600)],
  },
  bruteForce: {
    maxFailures: ['ACCOUNT_LOGIN_MAX_FAILURES', integer(10, 2, 1000)],
    lockoutSeconds: ['ACCOUNT_LOGIN_LOCKOUT_SECONDS', integer(900, 1, 86_400)],
    windowSeconds: ['ACCOUNT_LOGIN_FAILURE_WINDOW_SECONDS', integer(900, 1, 86_400)],
    freeFailures: ['ACCOUNT_LOGIN_FREE_FAILURES', integer(3, 0, 1000)],
    baseDelayMs: ['ACCOUNT_LOGIN_BASE_DELAY_MS', integer(250, 0, 60_000)],
    maxDelayMs: ['ACCOUNT_LOGIN_MAX_DELAY_MS', integer(5000, 0, 60_000)],
  },
  passwordHash: {
    memoryCost: [
      'ACCOUNT_PASSWORD_HASH_MEMORY_KIB',
      integer(PASSWORD_HASH_PARAMETERS.memoryCost, 1024, 1_048_576),
    ],
    timeCost: ['ACCOUNT_PASSWORD_HASH_TIME_COST', integer(PASSWORD_HASH_PARAMETERS.timeCost, 1, 20)],
  },
  /**
   * Undefined: the platform's `TRUSTPLANE_TRUSTED_PROXIES`. Was a boolean; `true` (trust every
   * client's X-Forwarded-For) is refused now; `false` or an address list overrides the platform's.
   */
  trustProxy: [
    'ACCOUNT_TRUST_PROXY',
    z
      .string()
      .optional()
      .transform((value, ctx) => {
        if (value === undefined || value.trim() === '') return undefined;
        try {
          return parseTrustedProxies(value);
        } catch (error) {
          ctx.addIssue({
            code: 'custom',
            message: `${(error as Error).message}, here or in TRUSTPLANE_TRUSTED_PROXIES`,
          });
          return z.NEVER;
        }
      }),
  ],
});

type LoadedSettings = ReturnType<typeof loadSettings>;

export type AccountConfig = Omit<
  LoadedSettings,
  'production' | 'cookie' | 'frontendBaseUrl' | 'passwordHash'
> & {
  cookie: { domain: string | undefined; sameSite: 'strict' | 'lax' | 'none'; secure: boolean };
  frontendBaseUrl: string;
  passwordHash: PasswordHashParameters;
};

/** Service settings from the environment (see README, "Configuration"). */
export function loadAccountConfig(env: NodeJS.ProcessEnv, publicUrl: string): AccountConfig {
  const { production, cookie, frontendBaseUrl, passwordHash, ...settings } = loadSettings(env);
  return {
    ...settings,
    // SameSite=None is only honoured by browsers together with Secure.
    cookie: { ...cookie, secure: (cookie.secure ?? production) || cookie.sameSite === 'none' },
    frontendBaseUrl: trimChar(frontendBaseUrl ?? publicUrl, '/', 'end'),
    passwordHash: { ...passwordHash, parallelism: PASSWORD_HASH_PARAMETERS.parallelism },
  };
}
