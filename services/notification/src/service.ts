import net from 'node:net';
import { defineJob, deriveKey, probeDatabase, type ServiceContext, type Stoppable } from '@trustplane/kernel';
import { z } from 'zod';
import { loadNotificationConfig, type NotificationConfig } from './config.js';
import type { NotificationDatabase } from './db/schema.js';
import { DeadLetters } from './domain/dead-letters.js';
import { DeliveryEngine } from './domain/delivery.js';
import { Intake } from './domain/intake.js';
import { Notifications } from './domain/notifications.js';
import { ProviderRegistry } from './providers/registry.js';
import { DeliveryQueue, deliveryJob } from './queue/delivery-queue.js';
import { ConsumerRegistry, PgBossBackend, QueueMonitor, RabbitMqBackend } from './queue/monitor.js';
import {
  DEAD_LETTER_QUEUE,
  DELIVERY_QUEUE,
  EMAIL_REQUESTED_QUEUE,
  EVENTS_QUEUE,
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

/** TCP reachability of the AMQP broker (the transport reconnects on its own; this only reports). */
function probeTcp(url: string, timeoutMs = 2000): Promise<boolean> {
  const parsed = new URL(url);
  const port = Number(parsed.port || (parsed.protocol === 'amqps:' ? 5671 : 5672));
  return new Promise((resolve) => {
    const socket = net.connect({ host: parsed.hostname, port, timeout: timeoutMs });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}

export function createNotificationRuntime(context: ServiceContext): NotificationRuntime {
  const config = loadNotificationConfig();
  const db = context.database<NotificationDatabase>();
  const logger = context.logger;
  const sealKey = deriveKey(context.signingSecret, 'notification-content');
  let deliveryConsumer: ReturnType<ConsumerRegistry['register']> | undefined;
  let engine: DeliveryEngine | undefined;
  const delivery = deliveryJob({
    config,
    handle: async (jobId, notificationId) => {
      if (!engine) throw new Error('delivery engine not ready');
      const work = () => (engine as DeliveryEngine).handle(jobId, notificationId);
      await (deliveryConsumer ? deliveryConsumer.track(work) : work());
    },
  });
  const prune = defineJob({
    name: 'notification.prune',
    version: 1,
    payload: z.object({}),
    // Hourly, at a minute other services are unlikely to pick.
    schedule: { cron: '29 * * * *', payload: {} },
    retry: { limit: 2, delaySeconds: 60, backoff: true },
    timeoutSeconds: 600,
    handle: () => pruneOld(runtime),
  });
  const queue = new DeliveryQueue(context.jobs, delivery);
  const notifications = new Notifications({ db, outbox: context.outbox, queue, config, sealKey, logger });
  const providers = new ProviderRegistry(context, config);
  engine = new DeliveryEngine({
    db,
    notifications,
    providers,
    queue,
    outbox: context.outbox,
    config,
    sealKey,
    logger,
  });
  const pgBoss = new PgBossBackend(db, context.jobs);
  // With AMQP_URL the bus (intake) queues are RabbitMQ's; deliveries and dead letters stay in PostgreSQL.
  const brokerQueues = [EVENTS_QUEUE, EMAIL_REQUESTED_QUEUE] as const;
  const backend = context.config.amqpUrl
    ? new RabbitMqBackend(context.config.amqpUrl, pgBoss, brokerQueues)
    : pgBoss;
  context.onClose(async () => {
    if (backend instanceof RabbitMqBackend) await backend.close();
  });
  const monitor = new QueueMonitor(db, backend, notifications, logger);
  const consumers = new ConsumerRegistry(db, logger);
  const intake = new Intake({
    db,
    notifications,
    config,
    sealKey,
    allowPrivate: context.config.allowPrivateWebhooks,
    logger,
  });
  const deadLetters = new DeadLetters(db, notifications, intake);

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
      if (context.config.amqpUrl)
        components.push({ name: 'rabbitmq', healthy: await probeTcp(context.config.amqpUrl) });
      else components.push({ name: 'bus', healthy: database.ok });
      return components;
    },
    defineJobs() {
      context.jobs.define(delivery);
      context.jobs.define(prune);
    },
    async startWorkers() {
      for (const name of SERVICE_QUEUES) {
        const isDeadLetters = name === DEAD_LETTER_QUEUE;
        const onBroker =
          Boolean(context.config.amqpUrl) && (brokerQueues as readonly string[]).includes(name);
        const declared = {
          backend: isDeadLetters ? 'postgres' : onBroker ? 'rabbitmq' : 'pg-boss',
          arguments: JSON.stringify(
            isDeadLetters
              ? { table: 'notification.dead_letters' }
              : onBroker
                ? { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': `${name}.dead` }
                : { 'x-dead-letter': `${name}.dead`, 'x-max-priority': '30' },
          ),
        };
        await db.kysely
          .insertInto('queue_declarations')
          .values({ name, durable: true, auto_delete: false, ...declared })
          // The backend may change between starts (AMQP_URL set or not); the creation time stays.
          .onConflict((oc) => oc.column('name').doUpdateSet(declared))
          .execute();
      }
      deliveryConsumer = consumers.register(DELIVERY_QUEUE, config.workerConcurrency);
      await consumers.start();
      await context.jobs.work([delivery, prune]);
      const stopIntake = await intake.start(context.bus);
      return {
        async stop() {
          await stopIntake();
          await consumers.stop();
          await providers.close();
        },
      };
    },
  };
  return runtime;
}

/** Idempotency keys past their lifetime, dedup ids and ledger entries older than 30 days. */
async function pruneOld(runtime: NotificationRuntime): Promise<void> {
  const db = runtime.context.database<NotificationDatabase>().pool;
  await db.query(`DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(secs => $1)`, [
    runtime.config.idempotencyTtlSeconds,
  ]);
  await db.query(`DELETE FROM processed_messages WHERE received_at < now() - interval '30 days'`);
  await db.query(`DELETE FROM message_ledger WHERE published_at < now() - interval '30 days'`);
  await db.query(`DELETE FROM consumers WHERE last_seen_at < now() - interval '1 day'`);
}
