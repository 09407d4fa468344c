import {
  PASSWORD_HASH_PARAMETERS,
  type PasswordHashParameters,
  parseEnv,
  parseTrustedProxies,
  type TrustedProxies,
  trimChar,
} from '@trustplane/kernel';
import { z } from 'zod';

const int = (fallback: number, min = 1, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

const accountEnvSchema = z.object({
  NODE_ENV: z.string().optional(),
  ACCOUNT_JWT_ISSUER: z.string().min(1).optional(),
  ACCOUNT_ACCESS_TOKEN_TTL_SECONDS: int(900, 30, 86_400),
  ACCOUNT_REFRESH_TOKEN_TTL_SECONDS: int(30 * 86_400, 60, 365 * 86_400),
  ACCOUNT_SERVICE_TOKEN_TTL_SECONDS: int(3600, 30, 86_400),
  ACCOUNT_PASSWORD_RESET_TTL_SECONDS: int(3600, 60, 86_400),
  ACCOUNT_EMAIL_VERIFICATION_TTL_SECONDS: int(2 * 86_400, 60, 30 * 86_400),
  ACCOUNT_INVITATION_TTL_SECONDS: int(7 * 86_400, 60, 90 * 86_400),
  ACCOUNT_PUBLIC_KEY_CACHE_DAYS: int(90, 1, 3650),
  ACCOUNT_COOKIE_DOMAIN: z.string().optional(),
  ACCOUNT_COOKIE_SAMESITE: z.enum(['strict', 'lax', 'none']).default('lax'),
  ACCOUNT_COOKIE_SECURE: z.enum(['1', '0', 'true', 'false', 'yes', 'no', '']).optional(),
  ACCOUNT_CSRF_HEADER: z
    .string()
    .regex(/^[A-Za-z0-9-]+$/)
    .default('X-CSRF-Token'),
  ACCOUNT_FRONTEND_BASE_URL: z.url().optional(),
  ACCOUNT_API_KEY_ENV: z
    .string()
    .regex(/^[a-z0-9]+$/)
    .default('live'),
  ACCOUNT_RATE_LIMIT_REGISTER_PER_MINUTE: int(3),
  ACCOUNT_RATE_LIMIT_LOGIN_PER_MINUTE: int(5),
  ACCOUNT_RATE_LIMIT_VERIFY_PER_MINUTE: int(100),
  ACCOUNT_RATE_LIMIT_GENERAL_PER_MINUTE: int(600),
  ACCOUNT_LOGIN_MAX_FAILURES: int(10, 2, 1000),
  ACCOUNT_LOGIN_LOCKOUT_SECONDS: int(900, 1, 86_400),
  ACCOUNT_LOGIN_FAILURE_WINDOW_SECONDS: int(900, 1, 86_400),
  ACCOUNT_LOGIN_FREE_FAILURES: int(3, 0, 1000),
  ACCOUNT_LOGIN_BASE_DELAY_MS: int(250, 0, 60_000),
  ACCOUNT_LOGIN_MAX_DELAY_MS: int(5000, 0, 60_000),
  ACCOUNT_PASSWORD_HASH_MEMORY_KIB: int(PASSWORD_HASH_PARAMETERS.memoryCost, 1024, 1_048_576),
  ACCOUNT_PASSWORD_HASH_TIME_COST: int(PASSWORD_HASH_PARAMETERS.timeCost, 1, 20),
  // Was a boolean; `true` (trust every client's X-Forwarded-For) is refused now. Unset: the
  // platform's TRUSTPLANE_TRUSTED_PROXIES applies; `false` or an address list overrides it.
  ACCOUNT_TRUST_PROXY: z
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
});

export interface AccountConfig {
  issuer: string;
  accessTokenTtl: number;
  refreshTokenTtl: number;
  serviceTokenTtl: number;
  passwordResetTtl: number;
  emailVerificationTtl: number;
  invitationTtl: number;
  publicKeyCacheDays: number;
  cookie: { domain: string | undefined; sameSite: 'strict' | 'lax' | 'none'; secure: boolean };
  csrfHeader: string;
  frontendBaseUrl: string;
  apiKeyEnv: string;
  rateLimits: { register: number; login: number; verify: number; general: number };
  bruteForce: {
    maxFailures: number;
    lockoutSeconds: number;
    windowSeconds: number;
    freeFailures: number;
    baseDelayMs: number;
    maxDelayMs: number;
  };
  passwordHash: PasswordHashParameters;
  /** Undefined: the platform's `TRUSTPLANE_TRUSTED_PROXIES`. */
  trustProxy: TrustedProxies | undefined;
}

/** Service settings from the environment (see README, "Configuration"). */
export function loadAccountConfig(env: NodeJS.ProcessEnv, publicUrl: string): AccountConfig {
  const parsed = parseEnv(accountEnvSchema, env);
  const production = parsed.NODE_ENV === 'production';
  const secureFlag = parsed.ACCOUNT_COOKIE_SECURE;
  const secure =
    secureFlag === undefined || secureFlag === '' ? production : ['1', 'true', 'yes'].includes(secureFlag);
  return {
    issuer: parsed.ACCOUNT_JWT_ISSUER ?? 'trustplane-account',
    accessTokenTtl: parsed.ACCOUNT_ACCESS_TOKEN_TTL_SECONDS,
    refreshTokenTtl: parsed.ACCOUNT_REFRESH_TOKEN_TTL_SECONDS,
    serviceTokenTtl: parsed.ACCOUNT_SERVICE_TOKEN_TTL_SECONDS,
    passwordResetTtl: parsed.ACCOUNT_PASSWORD_RESET_TTL_SECONDS,
    emailVerificationTtl: parsed.ACCOUNT_EMAIL_VERIFICATION_TTL_SECONDS,
    invitationTtl: parsed.ACCOUNT_INVITATION_TTL_SECONDS,
    publicKeyCacheDays: parsed.ACCOUNT_PUBLIC_KEY_CACHE_DAYS,
    // SameSite=None is only honoured by browsers together with Secure.
    cookie: {
      domain: parsed.ACCOUNT_COOKIE_DOMAIN || undefined,
      sameSite: parsed.ACCOUNT_COOKIE_SAMESITE,
      secure: secure || parsed.ACCOUNT_COOKIE_SAMESITE === 'none',
    },
    csrfHeader: parsed.ACCOUNT_CSRF_HEADER.toLowerCase(),
    frontendBaseUrl: trimChar(parsed.ACCOUNT_FRONTEND_BASE_URL ?? publicUrl, '/', 'end'),
    apiKeyEnv: parsed.ACCOUNT_API_KEY_ENV,
    rateLimits: {
      register: parsed.ACCOUNT_RATE_LIMIT_REGISTER_PER_MINUTE,
      login: parsed.ACCOUNT_RATE_LIMIT_LOGIN_PER_MINUTE,
      verify: parsed.ACCOUNT_RATE_LIMIT_VERIFY_PER_MINUTE,
      general: parsed.ACCOUNT_RATE_LIMIT_GENERAL_PER_MINUTE,
    },
    bruteForce: {
      maxFailures: parsed.ACCOUNT_LOGIN_MAX_FAILURES,
      lockoutSeconds: parsed.ACCOUNT_LOGIN_LOCKOUT_SECONDS,
      windowSeconds: parsed.ACCOUNT_LOGIN_FAILURE_WINDOW_SECONDS,
      freeFailures: parsed.ACCOUNT_LOGIN_FREE_FAILURES,
      baseDelayMs: parsed.ACCOUNT_LOGIN_BASE_DELAY_MS,
      maxDelayMs: parsed.ACCOUNT_LOGIN_MAX_DELAY_MS,
    },
    passwordHash: {
      memoryCost: parsed.ACCOUNT_PASSWORD_HASH_MEMORY_KIB,
      timeCost: parsed.ACCOUNT_PASSWORD_HASH_TIME_COST,
      parallelism: PASSWORD_HASH_PARAMETERS.parallelism,
    },
    trustProxy: parsed.ACCOUNT_TRUST_PROXY,
  };
}
