import {
  defineScheduledJob,
  deriveKey,
  probeAmqp,
  probeDatabase,
  type ServiceContext,
  type Stoppable,
} from '@trustplane/kernel';
import { loadNotificationConfig, type NotificationConfig } from './config.js';
import { createRepositories, type NotificationRepositories } from './db/repositories.js';
import type { NotificationDatabase } from './db/schema.js';
import { DeadLetters } from './domain/dead-letters.js';
import { DeliveryEngine } from './domain/delivery.js';
import { Intake } from './domain/intake.js';
import { Notifications } from './domain/notifications.js';
import { ProviderRegistry } from './providers/registry.js';
import {
  AmqpDeliveryLane,
  AmqpDeliveryQueue,
  DELIVERY_QUEUE_ARGUMENTS,
  waitQueueArguments,
} from './queue/amqp-delivery.js';
import { type DeliveryQueue, deliveryJob, PgBossDeliveryQueue } from './queue/delivery-queue.js';
import { ConsumerRegistry, PgBossBackend, QueueMonitor, RabbitMqBackend } from './queue/monitor.js';
import {
  DEAD_LETTER_QUEUE,
  DELIVERY_EXCHANGE,
  DELIVERY_QUEUE,
  EMAIL_REQUESTED_QUEUE,
  EVENTS_QUEUE,
  HELD_QUEUE,
  SERVICE_QUEUES,
} from './queue/names.js';

export interface ComponentHealth {
  name: string;
  healthy: boolean;
}

/** Everything the service is made of, composed once per context. */
export interface NotificationRuntime {
  context: ServiceContext;
  config: NotificationConfig;
  notifications: Notifications;
  engine: DeliveryEngine;
  providers: ProviderRegistry;
  monitor: QueueMonitor;
  consumers: ConsumerRegistry;
  intake: Intake;
  deadLetters: DeadLetters;
  health(): Promise<ComponentHealth[]>;
  defineJobs(): void;
  startWorkers(): Promise<Stoppable>;
}

export function createNotificationRuntime(context: ServiceContext): NotificationRuntime {
  const config = loadNotificationConfig(context.env);
  const db = context.database<NotificationDatabase>();
  const repositories = createRepositories(db.kysely);
  const logger = context.logger;
  const sealKey = deriveKey(context.signingSecret, 'notification-content');
  let deliveryConsumer: ReturnType<ConsumerRegistry['register']> | undefined;
  let engine: DeliveryEngine | undefined;
  const delivery = deliveryJob({
    config,
    handle: async (jobId, notificationId) => {
      if (!engine) throw new Error('delivery engine not ready');
      // pg-boss runs a job once at a time: no lease; the result needs no acknowledgement here.
      const work = () => (engine as DeliveryEngine).handle({ jobId, notificationId });
      await (deliveryConsumer ? deliveryConsumer.track(work) : work());
    },
  });
  const prune = defineScheduledJob({
    name: 'notification.prune',
    // Hourly, at a minute other services are unlikely to pick.
    cron: '29 * * * *',
    retry: { limit: 2, delaySeconds: 60, backoff: true },
    timeoutSeconds: 600,
    async run() {
      await pruneOld(repositories, config);
      return undefined;
    },
  });
  const amqpUrl = context.config.amqpUrl;
  // With AMQP_URL delivery attempts live on RabbitMQ (delay queues per backoff step, DLX); embedded, in pg-boss.
  const amqpQueue = amqpUrl
    ? new AmqpDeliveryQueue({ repositories, outbox: context.outbox, jobs: context.jobs, config })
    : undefined;
  const queue: DeliveryQueue = amqpQueue ?? new PgBossDeliveryQueue(context.jobs, delivery);
  const notifications = new Notifications({
    repositories,
    outbox: context.outbox,
    queue,
    config,
    sealKey,
    logger,
  });
  const providers = new ProviderRegistry(context, config);
  engine = new DeliveryEngine({
    repositories,
    notifications,
    providers,
    queue,
    outbox: context.outbox,
    config,
    sealKey,
    logger,
  });
  const pgBoss = new PgBossBackend(repositories, context.jobs);
  // With AMQP_URL the bus (intake) queues and the delivery queue are RabbitMQ's; dead letters stay
  // in PostgreSQL (the broker's notification.events.dlq is recorded there).
  const brokerQueues = [EVENTS_QUEUE, EMAIL_REQUESTED_QUEUE, DELIVERY_QUEUE] as const;
  const backend =
    amqpUrl && amqpQueue
      ? new RabbitMqBackend(amqpUrl, pgBoss, brokerQueues, {
          bands: amqpQueue.bands,
          repositories,
          jobs: context.jobs,
        })
      : pgBoss;
  context.onClose(async () => {
    if (backend instanceof RabbitMqBackend) await backend.close();
  });
  const monitor = new QueueMonitor(repositories, backend, notifications, logger);
  const consumers = new ConsumerRegistry(repositories, logger);
  const intake = new Intake({
    repositories,
    notifications,
    config,
    sealKey,
    allowPrivate: context.config.allowPrivateWebhooks,
    logger,
  });
  const deadLetters = new DeadLetters(repositories, notifications, intake, context.outbox);

  const runtime: NotificationRuntime = {
    context,
    config,
    notifications,
    engine,
    providers,
    monitor,
    consumers,
    intake,
    deadLetters,
    async health() {
      const database = await probeDatabase(db.pool);
      const components: ComponentHealth[] = [{ name: 'postgres', healthy: database.ok }];
      // TCP reachability of the broker (the transport reconnects on its own; this only reports).
      if (context.config.amqpUrl)
        components.push({ name: 'rabbitmq', healthy: (await probeAmqp(context.config.amqpUrl)).ok });
      else components.push({ name: 'bus', healthy: database.ok });
      return components;
    },
    defineJobs() {
      // Attempts waiting longer than a backoff step allows are held in pg-boss, then published.
      context.jobs.define(amqpQueue ? amqpQueue.heldJob : delivery);
      context.jobs.define(prune);
    },
    async startWorkers() {
      for (const name of SERVICE_QUEUES) {
        const isDeadLetters = name === DEAD_LETTER_QUEUE;
        const onBroker = Boolean(amqpUrl) && (brokerQueues as readonly string[]).includes(name);
        const declared = {
          backend: isDeadLetters ? 'postgres' : onBroker ? 'rabbitmq' : 'pg-boss',
          arguments: isDeadLetters
            ? {
                table: 'notification.dead_letters',
                ...(amqpUrl ? { 'broker-queue': DEAD_LETTER_QUEUE } : {}),
              }
            : name === DELIVERY_QUEUE && amqpQueue
              ? {
                  ...DELIVERY_QUEUE_ARGUMENTS,
                  'x-delay-queues': amqpQueue.bands
                    .map(
                      (band) => `${band.queue} (x-message-ttl ${waitQueueArguments(band)['x-message-ttl']})`,
                    )
                    .join(', '),
                  'x-held-queue': HELD_QUEUE,
                }
              : onBroker
                ? { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': `${name}.dead` }
                : { 'x-dead-letter': `${name}.dead`, 'x-max-priority': '30' },
        };
        await repositories.queueDeclarations.declare(name, declared);
      }
      deliveryConsumer = consumers.register(DELIVERY_QUEUE, config.workerConcurrency);
      await consumers.start();
      let lane: AmqpDeliveryLane | undefined;
      if (amqpUrl && amqpQueue) {
        const tracker = deliveryConsumer;
        lane = new AmqpDeliveryLane({
          url: amqpUrl,
          config,
          bands: amqpQueue.bands,
          logger,
          attempt: (job, track) => track(() => (engine as DeliveryEngine).handle(job)),
          track: (work) => tracker.track(work),
          noteDeaths: (jobId, headers) =>
            repositories.messageLedger.mergeHeaders(DELIVERY_QUEUE, jobId, headers),
          recordDeadLetter: (message) => deadLetters.recordBroker(message),
        });
        await lane.start();
        // Attempts the broker returned before the queues existed are waiting on the outbox's backoff.
        await context.outbox.expedite(DELIVERY_EXCHANGE);
        await context.jobs.work([amqpQueue.heldJob, prune]);
      } else {
        await context.jobs.work([delivery, prune]);
      }
      const stopIntake = await intake.start(context.bus);
      return {
        async stop() {
          await lane?.stop();
          await stopIntake();
          await consumers.stop();
          await providers.close();
        },
      };
    },
  };
  return runtime;
}

/** Idempotency keys past their lifetime, dedup ids and ledger entries older than 30 days, stale consumers. */
async function pruneOld(repositories: NotificationRepositories, config: NotificationConfig): Promise<void> {
  await repositories.idempotencyKeys.deleteExpired(config.idempotencyTtlSeconds);
  await repositories.processedMessages.deleteReceivedBefore(30);
  await repositories.messageLedger.deletePublishedBefore(30);
  await repositories.consumers.deleteSeenBefore(1);
}
