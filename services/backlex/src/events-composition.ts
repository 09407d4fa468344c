import {
  type AnyJobDefinition,
  createRateLimiter,
  deriveKey,
  type HostLookup,
  perContext,
  type ServiceContext,
  WebhookDispatcher,
} from '@trustplane/kernel';
import type { Kysely } from 'kysely';
import { createEventRepository } from './db/event-repository.js';
import type { EventsDatabase } from './db/events-tables.js';
import { createIntegrationRepository } from './db/integration-repository.js';
import { createMemberRecipientsRepository } from './db/member-recipients-repository.js';
import { createNotificationRepository } from './db/notification-repository.js';
import { createWebhookRepository } from './db/webhook-repository.js';
import { createFanOut, type FanOut, type RecipientDirectory } from './events/fan-out.js';
import { createEventPublisher } from './events/publish-event.js';
import { createIntegrations, type Integrations } from './integrations/integrations.js';
import { deliverIntegrationJob } from './jobs/deliver-integration.js';
import { fanOutEventJob } from './jobs/fan-out-event.js';
import { createNotifications } from './notifications/notifications.js';
import { createWebhooks } from './webhooks/webhooks.js';

/** Queue of backlex's webhook deliveries: its own, for its own retry schedule. */
export const BACKLEX_WEBHOOK_QUEUE = 'backlex.webhook-delivery';
/** 12 attempts, the first retry after 45 s, doubling: the last attempt ≈ 25.6 h after the first. */
export const WEBHOOK_MAX_ATTEMPTS = 12;
export const DEFAULT_WEBHOOK_RETRY_SECONDS = 45;

export interface EventsSettings {
  /** `BACKLEX_WEBHOOK_RETRY_SECONDS`: first retry delay of webhook and integration deliveries. */
  retryDelaySeconds: number;
  /** `BACKLEX_INTEGRATIONS_ORIGIN` (tests only): where integration requests go instead of the vendors. */
  integrationsOrigin?: string;
}

export function loadEventsSettings(env: NodeJS.ProcessEnv): EventsSettings {
  const problems: string[] = [];
  const retry = env.BACKLEX_WEBHOOK_RETRY_SECONDS;
  const retryDelaySeconds =
    retry === undefined || retry === '' ? DEFAULT_WEBHOOK_RETRY_SECONDS : Number(retry);
  if (!Number.isInteger(retryDelaySeconds) || retryDelaySeconds < 1 || retryDelaySeconds > 3600)
    problems.push('BACKLEX_WEBHOOK_RETRY_SECONDS: must be an integer from 1 to 3600');
  const origin = env.BACKLEX_INTEGRATIONS_ORIGIN || undefined;
  if (origin !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(origin);
    } catch {}
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.pathname !== '/')
      problems.push('BACKLEX_INTEGRATIONS_ORIGIN: must be an http(s) origin such as http://127.0.0.1:9999');
  }
  if (problems.length > 0) throw new Error(problems.join('\n'));
  return { retryDelaySeconds, ...(origin ? { integrationsOrigin: origin } : {}) };
}

/** Test seams. */
export interface EventsOverrides {
  settings?: Partial<EventsSettings>;
  /** DNS for the SSRF guard (a host that resolves to a private address). */
  lookup?: HostLookup;
  /** Who is notified (default: better-auth's `member` table). */
  recipients?: RecipientDirectory;
}

/**
 * Events out: the catalogue's publisher, the fan-out and its jobs, webhooks (own dispatcher queue
 * on the kernel's dispatcher: signing, SSRF guard, attempt log), integrations and notifications.
 */
export function createBacklexEvents(
  context: ServiceContext,
  db: Kysely<EventsDatabase>,
  overrides: EventsOverrides = {},
) {
  const settings: EventsSettings = { ...loadEventsSettings(context.env), ...overrides.settings };
  const allowPrivate = context.config.allowPrivateWebhooks;
  const dispatcher = new WebhookDispatcher({
    jobs: context.jobs,
    pool: context.database().pool,
    logger: context.logger,
    allowPrivateDestinations: allowPrivate,
    queue: BACKLEX_WEBHOOK_QUEUE,
    maxAttempts: WEBHOOK_MAX_ATTEMPTS,
    retryDelaySeconds: settings.retryDelaySeconds,
    secretKey: deriveKey(context.signingSecret, 'backlex:webhook-deliveries'),
    userAgent: 'backlex-webhooks/1.0',
    ...(overrides.lookup ? { lookup: overrides.lookup } : {}),
  });
  const sealKey = deriveKey(context.signingSecret, 'backlex:events-secrets');
  const eventRepository = createEventRepository(db);
  const webhookRepository = createWebhookRepository(db);
  const integrationRepository = createIntegrationRepository(db);
  const notificationRepository = createNotificationRepository(db);

  const webhooks = createWebhooks({
    db,
    repository: webhookRepository,
    dispatcher,
    sealKey,
    allowPrivate,
    testLimiter: createRateLimiter({
      keyPrefix: 'backlex.webhook-test',
      points: 10,
      durationSeconds: 60,
      store: context.rateLimitStore(),
    }),
  });
  let fanOut: FanOut | undefined;
  let integrations: Integrations | undefined;
  const jobs = {
    fanOut: fanOutEventJob(() => fanOut as FanOut),
    deliverIntegration: deliverIntegrationJob(() => integrations as Integrations, settings.retryDelaySeconds),
  };
  integrations = createIntegrations({
    db,
    repository: integrationRepository,
    events: eventRepository,
    dispatcher,
    sealKey,
    timeoutMs: 10_000,
    ...(settings.integrationsOrigin ? { originOverride: settings.integrationsOrigin } : {}),
  });
  fanOut = createFanOut({
    db,
    events: eventRepository,
    webhookRows: webhookRepository,
    webhooks,
    integrations: integrationRepository,
    notifications: notificationRepository,
    recipients: overrides.recipients ?? createMemberRecipientsRepository(),
    dispatcher,
    sendIntegration: async (transaction, payload) => {
      await context.jobs.send(jobs.deliverIntegration, payload, { transaction });
    },
  });
  return {
    dispatcher,
    jobs,
    /** Every job to define in `defineJobs` and work in `startWorkers`. */
    jobDefinitions: [jobs.fanOut, jobs.deliverIntegration, dispatcher.definition] as AnyJobDefinition[],
    events: createEventPublisher({
      events: eventRepository,
      jobs: context.jobs,
      fanOutJob: () => jobs.fanOut,
    }),
    fanOut,
    webhooks,
    integrations,
    notifications: createNotifications(notificationRepository),
  };
}

export type BacklexEvents = ReturnType<typeof createBacklexEvents>;

/** Events out, one set per context: shared by the HTTP app, the job definitions and the workers. */
export const backlexEvents: (context: ServiceContext) => BacklexEvents = perContext((context) =>
  createBacklexEvents(context, context.database<EventsDatabase>().kysely),
);
