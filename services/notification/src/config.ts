import { ConfigError, defineSettings, envValue } from '@trustplane/kernel';
import { z } from 'zod';

export const PROVIDER_TYPES = ['email', 'telegram', 'whatsapp', 'http', 'grpc', 'rabbitmq'] as const;
export type ProviderType = (typeof PROVIDER_TYPES)[number];

const { flag, integer } = envValue;

const delays = z
  .string()
  .default('30000,120000,480000')
  .transform((value, ctx) => {
    const parts = value.split(',').map((part) => Number(part.trim()));
    if (parts.length === 0 || parts.some((part) => !Number.isInteger(part) || part < 0)) {
      ctx.addIssue({
        code: 'custom',
        message: 'must be comma-separated milliseconds, e.g. 30000,120000,480000',
      });
      return z.NEVER;
    }
    return parts;
  });

const loadSettings = defineSettings({
  grpcToken: ['NOTIFICATION_GRPC_TOKEN', z.string().min(16, 'must be at least 16 characters').optional()],
  grpcHost: ['NOTIFICATION_GRPC_HOST', z.string().min(1).optional()],
  /** Backoff before retry 1, 2, 3, …; the last one repeats. */
  retryDelaysMs: ['NOTIFICATION_RETRY_DELAYS_MS', delays],
  retryJitter: ['NOTIFICATION_RETRY_JITTER', z.coerce.number().min(0).max(1).default(0.2)],
  /** Budget of one provider call (one recipient). */
  sendTimeoutMs: ['NOTIFICATION_SEND_TIMEOUT_MS', integer(30_000, 100, 600_000)],
  /** Recipients of one notification sent at the same time. */
  recipientConcurrency: ['NOTIFICATION_RECIPIENT_CONCURRENCY', integer(8, 1, 64)],
  /** Delivery jobs one process runs at the same time. */
  workerConcurrency: ['NOTIFICATION_WORKER_CONCURRENCY', integer(128, 1, 256)],
  pollingIntervalSeconds: [
    'NOTIFICATION_POLLING_INTERVAL_SECONDS',
    z.coerce.number().min(0.5).max(60).default(1),
  ],
  idempotencyTtlSeconds: ['NOTIFICATION_IDEMPOTENCY_TTL_SECONDS', integer(7 * 86_400, 60, 365 * 86_400)],
  /**
   * Claims and settlements of attempts commit without waiting for their WAL flush: faster, but a
   * power cut (or a crash of PostgreSQL itself) may lose a settlement already acted on, and its
   * attempt then runs again (a second copy of a mail). Off unless NOTIFICATION_ASYNC_COMMIT is set.
   */
  asyncCommit: ['NOTIFICATION_ASYNC_COMMIT', flag],
  /** What the provider instances are made of (`providers` below). */
  provider: {
    instances: ['NOTIFICATION_PROVIDERS', z.string().optional()],
    telegramBotToken: ['NOTIFICATION_TELEGRAM_BOT_TOKEN', z.string().optional()],
    telegramApiUrl: ['NOTIFICATION_TELEGRAM_API_URL', z.url().default('https://api.telegram.org')],
    whatsappToken: ['NOTIFICATION_WHATSAPP_TOKEN', z.string().optional()],
    whatsappPhoneNumberId: ['NOTIFICATION_WHATSAPP_PHONE_NUMBER_ID', z.string().optional()],
    whatsappApiUrl: ['NOTIFICATION_WHATSAPP_API_URL', z.url().default('https://graph.facebook.com/v19.0')],
    forwardExchange: ['NOTIFICATION_FORWARD_EXCHANGE', z.string().min(1).default('notification.forward')],
  },
});

/** One configured provider instance, addressed by `provider_name` on the bus. */
export interface ProviderInstance {
  name: string;
  type: ProviderType;
  /** http: default destination (AMQP recipients carry no URL). */
  url?: string;
  /** http: signing secret; defaults to one derived from the platform secret. */
  secret?: string;
  /** telegram / whatsapp: API token; without one the request is written to the message sink. */
  token?: string;
  apiUrl?: string;
  phoneNumberId?: string;
  /** rabbitmq: exchange the forwarder publishes to. */
  exchange?: string;
  /** grpc: default `host:port` target. */
  target?: string;
}

export type NotificationConfig = Omit<ReturnType<typeof loadSettings>, 'provider'> & {
  providers: ProviderInstance[];
};

const instanceSchema = z
  .object({
    type: z.enum(PROVIDER_TYPES),
    url: z.url().optional(),
    secret: z.string().min(1).optional(),
    token: z.string().min(1).optional(),
    api_url: z.url().optional(),
    phone_number_id: z.string().min(1).optional(),
    exchange: z.string().min(1).optional(),
    target: z.string().min(1).optional(),
  })
  .strict();

const NAME = /^[a-z0-9][a-z0-9_.-]{0,63}$/;

export function loadNotificationConfig(env: NodeJS.ProcessEnv): NotificationConfig {
  const { provider, ...delivery } = loadSettings(env);
  // Defaults: one instance per type that needs no settings; NOTIFICATION_PROVIDERS adds, replaces
  // (same name) or removes (`null`) instances.
  const defaults: Record<string, ProviderInstance> = {
    smtp_email: { name: 'smtp_email', type: 'email' },
    telegram_bot: {
      name: 'telegram_bot',
      type: 'telegram',
      apiUrl: provider.telegramApiUrl,
      ...(provider.telegramBotToken ? { token: provider.telegramBotToken } : {}),
    },
    whatsapp_business: {
      name: 'whatsapp_business',
      type: 'whatsapp',
      apiUrl: provider.whatsappApiUrl,
      ...(provider.whatsappToken ? { token: provider.whatsappToken } : {}),
      ...(provider.whatsappPhoneNumberId ? { phoneNumberId: provider.whatsappPhoneNumberId } : {}),
    },
    grpc_forwarder: { name: 'grpc_forwarder', type: 'grpc' },
    rabbitmq_forwarder: {
      name: 'rabbitmq_forwarder',
      type: 'rabbitmq',
      exchange: provider.forwardExchange,
    },
  };
  const issues: string[] = [];
  if (provider.instances) {
    let raw: unknown;
    try {
      raw = JSON.parse(provider.instances);
    } catch {
      raw = undefined;
    }
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
      issues.push('NOTIFICATION_PROVIDERS: must be a JSON object of provider name → settings (or null)');
    } else {
      for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
        if (!NAME.test(name)) {
          issues.push(`NOTIFICATION_PROVIDERS.${name}: name must match ${NAME.source}`);
          continue;
        }
        if (value === null) {
          delete defaults[name];
          continue;
        }
        const instance = instanceSchema.safeParse(value);
        if (!instance.success) {
          for (const issue of instance.error.issues)
            issues.push(`NOTIFICATION_PROVIDERS.${name}.${issue.path.join('.')}: ${issue.message}`);
          continue;
        }
        const settings = instance.data;
        defaults[name] = {
          name,
          type: settings.type,
          ...(settings.url ? { url: settings.url } : {}),
          ...(settings.secret ? { secret: settings.secret } : {}),
          ...(settings.token ? { token: settings.token } : {}),
          ...(settings.api_url
            ? { apiUrl: settings.api_url }
            : settings.type === 'telegram'
              ? { apiUrl: provider.telegramApiUrl }
              : settings.type === 'whatsapp'
                ? { apiUrl: provider.whatsappApiUrl }
                : {}),
          ...(settings.phone_number_id ? { phoneNumberId: settings.phone_number_id } : {}),
          ...(settings.type === 'rabbitmq'
            ? { exchange: settings.exchange ?? provider.forwardExchange }
            : {}),
          ...(settings.target ? { target: settings.target } : {}),
        };
      }
    }
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return { ...delivery, providers: Object.values(defaults) };
}
