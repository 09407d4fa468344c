import path from 'node:path';
import proxyAddr from '@fastify/proxy-addr';
import { z } from 'zod';
import { trimChar } from '../text/trim-char.js';

/** Raised when the environment cannot be turned into a valid configuration. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly issues: string[]) {
    super(`Invalid configuration:\n${issues.map((issue) => `  - ${issue}`).join('\n')}`);
  }
}

/** An on/off environment variable: `1`, `true`, `yes` are on; unset, empty, `0`, `false`, `no` off. */
export const booleanFlag = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no', ''])
  .optional()
  .transform((value) => value === '1' || value === 'true' || value === 'yes');

const optionalUrl = (protocols: string[]) =>
  z
    .string()
    .optional()
    .transform((value) => (value === '' ? undefined : value))
    .refine((value) => value === undefined || protocols.some((p) => value.startsWith(`${p}:`)), {
      message: `must be a URL starting with ${protocols.map((p) => `${p}://`).join(' or ')}`,
    })
    .refine((value) => value === undefined || URL.canParse(value), { message: 'must be a valid URL' });

/**
 * Proxies whose `X-Forwarded-For` is believed, as `false` (none) or addresses/CIDRs (and the
 * names `loopback`, `linklocal`, `uniquelocal`). Never "everyone" and never a hop count: both let a
 * client that reaches the service directly choose the IP its rate limits and lockouts count
 * (Fastify 5.12 ignores hop counts for that reason).
 */
export type TrustedProxies = string[] | false;

/** Parses a comma list of proxy addresses; the error says how to fix a refused value. */
export function parseTrustedProxies(value: string | undefined): TrustedProxies {
  const raw = (value ?? '').trim();
  if (raw === '' || ['false', '0', 'no', 'none'].includes(raw.toLowerCase())) return false;
  if (['true', '1', 'yes', '*', 'all'].includes(raw.toLowerCase())) {
    throw new TypeError(
      `"${raw}" would trust X-Forwarded-For from any client; list your proxies' addresses or CIDRs (e.g. 10.0.0.0/8,loopback)`,
    );
  }
  if (/^\d+$/.test(raw)) {
    throw new TypeError(
      "a hop count trusts whoever connects directly; list your proxies' addresses or CIDRs (e.g. 10.0.0.0/8,loopback)",
    );
  }
  const entries = raw.split(',').map((entry) => entry.trim());
  if (entries.some((entry) => entry === '')) throw new TypeError('empty entry in the comma list');
  try {
    proxyAddr.compile(entries);
  } catch (error) {
    throw new TypeError(`${(error as Error).message} (expected addresses or CIDRs, comma-separated)`);
  }
  return entries;
}

const trustedProxies = z
  .string()
  .optional()
  .transform((value, ctx) => {
    try {
      return parseTrustedProxies(value);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
      return z.NEVER;
    }
  });

const platformEnvSchema = z
  .object({
    TRUSTPLANE_DATA_DIR: z.string().min(1).optional(),
    DATABASE_URL: optionalUrl(['postgres', 'postgresql']),
    AMQP_URL: optionalUrl(['amqp', 'amqps']),
    REDIS_URL: optionalUrl(['redis', 'rediss']),
    SMTP_URL: optionalUrl(['smtp', 'smtps']),
    MAIL_FROM: z.string().min(3).default('Trustplane <no-reply@localhost>'),
    S3_ENDPOINT: optionalUrl(['http', 'https']),
    S3_BUCKET: z.string().optional(),
    S3_ACCESS_KEY_ID: z.string().optional(),
    S3_SECRET_ACCESS_KEY: z.string().optional(),
    S3_REGION: z.string().optional(),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    TRUSTPLANE_ALLOW_PRIVATE_WEBHOOKS: booleanFlag,
    TRUSTPLANE_HOST: z.string().min(1).default('0.0.0.0'),
    TRUSTPLANE_PUBLIC_HOST: z.string().min(1).default('localhost'),
    TRUSTPLANE_SIGNING_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    TRUSTPLANE_BODY_LIMIT_BYTES: z.coerce.number().int().positive().default(1_048_576),
    TRUSTPLANE_SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
    TRUSTPLANE_JOBS_MAINTENANCE_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
    TRUSTPLANE_TRUSTED_PROXIES: trustedProxies,
  })
  .superRefine((env, ctx) => {
    if (env.S3_ENDPOINT) {
      for (const key of ['S3_BUCKET', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY'] as const) {
        if (!env[key])
          ctx.addIssue({ code: 'custom', path: [key], message: 'is required when S3_ENDPOINT is set' });
      }
    }
  });

export interface S3Config {
  endpoint: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
}

export interface PlatformConfig {
  dataDir: string;
  databaseUrl: string | undefined;
  amqpUrl: string | undefined;
  redisUrl: string | undefined;
  smtpUrl: string | undefined;
  /** Sender of every platform mail. */
  mailFrom: string;
  s3: S3Config | undefined;
  logLevel: z.infer<typeof platformEnvSchema>['LOG_LEVEL'];
  allowPrivateWebhooks: boolean;
  host: string;
  publicHost: string;
  /** Secret for presigned URLs and other platform HMACs; generated and kept in the data dir when unset. */
  signingSecret: string | undefined;
  bodyLimitBytes: number;
  shutdownTimeoutMs: number;
  /** Job queue maintenance interval: how soon a crashed worker's jobs are retried. */
  jobsMaintenanceSeconds: number;
  /** Whose `X-Forwarded-For` gives the client IP (rate limits, lockouts, logs); `false`: the socket's peer. */
  trustedProxies: TrustedProxies;
  /**
   * The environment this configuration was loaded from, frozen at load: `process.env` for
   * `trustplane start`, the boot env in tests. Services load their own settings from it (through
   * `context.env`), never from `process.env`, so what a process was started with is what it runs.
   */
  env: Readonly<NodeJS.ProcessEnv>;
}

/** Renders zod issues as `VARIABLE: message` lines so an operator can fix the environment directly. */
export function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
}

export function parseEnv<T extends z.ZodType>(schema: T, env: NodeJS.ProcessEnv): z.infer<T> {
  const result = schema.safeParse(env);
  if (!result.success) throw new ConfigError(describeIssues(result.error));
  return result.data;
}

export function loadPlatformConfig(
  env: NodeJS.ProcessEnv = process.env,
  repoRoot = process.cwd(),
): PlatformConfig {
  const parsed = parseEnv(platformEnvSchema, env);
  return {
    dataDir: path.resolve(repoRoot, parsed.TRUSTPLANE_DATA_DIR ?? '.data'),
    databaseUrl: parsed.DATABASE_URL,
    amqpUrl: parsed.AMQP_URL,
    redisUrl: parsed.REDIS_URL,
    smtpUrl: parsed.SMTP_URL,
    mailFrom: parsed.MAIL_FROM,
    s3: parsed.S3_ENDPOINT
      ? {
          endpoint: parsed.S3_ENDPOINT,
          bucket: parsed.S3_BUCKET!,
          accessKeyId: parsed.S3_ACCESS_KEY_ID!,
          secretAccessKey: parsed.S3_SECRET_ACCESS_KEY!,
          region: parsed.S3_REGION ?? 'us-east-1',
        }
      : undefined,
    logLevel: parsed.LOG_LEVEL,
    allowPrivateWebhooks: parsed.TRUSTPLANE_ALLOW_PRIVATE_WEBHOOKS,
    host: parsed.TRUSTPLANE_HOST,
    publicHost: parsed.TRUSTPLANE_PUBLIC_HOST,
    signingSecret: parsed.TRUSTPLANE_SIGNING_SECRET,
    bodyLimitBytes: parsed.TRUSTPLANE_BODY_LIMIT_BYTES,
    shutdownTimeoutMs: parsed.TRUSTPLANE_SHUTDOWN_TIMEOUT_MS,
    jobsMaintenanceSeconds: parsed.TRUSTPLANE_JOBS_MAINTENANCE_SECONDS,
    trustedProxies: parsed.TRUSTPLANE_TRUSTED_PROXIES,
    env: Object.freeze({ ...env }),
  };
}

/**
 * The URL clients reach a service at, handed out in links, hosted pages, OpenAPI `servers` and, for
 * backlex, its trusted origin: `<SERVICE>_PUBLIC_URL` (behind a load balancer, the balancer's URL,
 * e.g. `https://auth.example.com`), else `http://<TRUSTPLANE_PUBLIC_HOST>:<port>`.
 */
export function resolvePublicUrl(
  service: string,
  port: number,
  publicHost: string,
  env: NodeJS.ProcessEnv = process.env,
): string {
  const variable = `${service.toUpperCase()}_PUBLIC_URL`;
  const raw = env[variable];
  if (raw === undefined || raw === '') return `http://${publicHost}:${port}`;
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {}
  if (!url || !/^https?:$/.test(url.protocol) || url.search || url.hash || url.username)
    throw new ConfigError([`${variable}: must be an http(s) URL such as https://${service}.example.com`]);
  return `${url.origin}${trimChar(url.pathname, '/', 'end')}`;
}

/**
 * Ports of a service's listeners: defaults, overridden by `<SERVICE>_PORT` (the HTTP
 * listener) and `<SERVICE>_<LISTENER>_PORT` (e.g. `NOTIFICATION_GRPC_PORT`).
 */
export function resolvePorts(
  service: string,
  defaults: Record<string, number>,
  env: NodeJS.ProcessEnv = process.env,
): Record<string, number> {
  const ports: Record<string, number> = {};
  const issues: string[] = [];
  for (const [listener, fallback] of Object.entries(defaults)) {
    const variable =
      listener === 'http'
        ? `${service.toUpperCase()}_PORT`
        : `${service.toUpperCase()}_${listener.toUpperCase()}_PORT`;
    const raw = env[variable];
    if (raw === undefined || raw === '') {
      ports[listener] = fallback;
      continue;
    }
    const port = Number(raw);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      issues.push(`${variable}: must be an integer between 0 and 65535`);
    else ports[listener] = port;
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return ports;
}
