import * as grpc from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import { bearerToken, constantTimeEqual, type ServiceContext, type Stoppable } from '@trustplane/kernel';
import { HealthImplementation } from 'grpc-health-check';
import { type NotificationErrorName, notificationErrors, toNotificationError } from '../domain/errors.js';
import type { NotificationView } from '../domain/notifications.js';
import { MAX_BULK_ITEMS, validateCreate } from '../domain/validation.js';
import type { NotificationRuntime } from '../service.js';
import type { Timestamp } from './generated/google/protobuf/Timestamp.js';
import type { BulkNotificationItem__Output } from './generated/notification/BulkNotificationItem.js';
import type { CreateNotificationRequest__Output } from './generated/notification/CreateNotificationRequest.js';
import type { Notification } from './generated/notification/Notification.js';
import type { NotificationServiceHandlers } from './generated/notification/NotificationService.js';
import type { QueueMonitoringServiceHandlers } from './generated/queue/QueueMonitoringService.js';
import {
  loadNotificationProto,
  loadQueueProto,
  notificationPackageDefinition,
  queuePackageDefinition,
} from './protos.js';

export { loadNotificationProto, loadQueueProto } from './protos.js';

/** The gRPC code of each catalogue entry: the one place errors become gRPC statuses. */
export const GRPC_CODES: Record<NotificationErrorName, grpc.status> = {
  invalidArgument: grpc.status.INVALID_ARGUMENT,
  notFound: grpc.status.NOT_FOUND,
  failedPrecondition: grpc.status.FAILED_PRECONDITION,
  unauthenticated: grpc.status.UNAUTHENTICATED,
  deadlineExceeded: grpc.status.DEADLINE_EXCEEDED,
  unavailable: grpc.status.UNAVAILABLE,
  internal: grpc.status.INTERNAL,
  payloadTooLarge: grpc.status.RESOURCE_EXHAUSTED,
  unsupportedMediaType: grpc.status.INVALID_ARGUMENT,
  uriTooLong: grpc.status.INVALID_ARGUMENT,
  requestTimeout: grpc.status.DEADLINE_EXCEEDED,
  headersTooLarge: grpc.status.RESOURCE_EXHAUSTED,
};

/** A catalogue error (or anything thrown, through the catalogue) as a gRPC status. */
export function grpcError(error: unknown): Partial<grpc.StatusObject> {
  const failure = toNotificationError(error);
  return { code: GRPC_CODES[failure.entry], details: failure.message };
}

/** Bulk requests carry up to 1,000 notifications; one notification is at most 1 MiB (checked per item). */
const MAX_MESSAGE_BYTES = 32 * 1024 * 1024;

export function toTimestamp(date: Date | null | undefined): Timestamp | null {
  if (!date) return null;
  const ms = date.getTime();
  return { seconds: Math.floor(ms / 1000), nanos: (((ms % 1000) + 1000) % 1000) * 1_000_000 };
}

export function toNotificationMessage(view: NotificationView): Notification {
  const { row, recipients } = view;
  return {
    id: row.id,
    recipients: recipients.map((recipient) => ({
      type: recipient.type,
      address: recipient.address,
      name: recipient.name,
    })),
    content: row.content,
    provider_type: row.provider_type,
    status: row.status,
    priority: row.priority,
    retry_count: Math.max(0, row.attempts - 1),
    max_retries: row.max_retries,
    created_at: toTimestamp(row.created_at),
    delivered_at: toTimestamp(row.delivered_at),
    metadata: row.metadata,
    scheduled_at: toTimestamp(row.scheduled_at),
    updated_at: toTimestamp(row.updated_at),
    last_error: row.last_error ?? '',
    batch_id: row.batch_id ?? '',
    provider_name: row.provider_name,
    attempts: row.attempts,
  };
}

type AnyCall = grpc.ServerUnaryCall<unknown, unknown>;

function deadlinePassed(call: AnyCall): boolean {
  const deadline = call.getDeadline();
  const at = deadline instanceof Date ? deadline.getTime() : Number(deadline);
  return Number.isFinite(at) && at <= Date.now();
}

/** Checks the caller, the deadline, and turns any failure into the catalogue's status and message. */
function makeUnary(context: ServiceContext, token: string | undefined) {
  return <Req, Res>(
    method: string,
    run: (request: Req, call: grpc.ServerUnaryCall<Req, Res>) => Promise<Res>,
  ) =>
    (call: grpc.ServerUnaryCall<Req, Res>, callback: grpc.sendUnaryData<Res>) => {
      if (token) {
        // The kernel's compare hashes both sides: neither the content nor the length of the
        // configured token shows in the time a wrong guess takes.
        const given = bearerToken(String(call.metadata.get('authorization')[0] ?? ''));
        if (given === undefined || !constantTimeEqual(given, token)) {
          callback(grpcError(notificationErrors.unauthenticated()));
          return;
        }
      }
      if (deadlinePassed(call as AnyCall)) {
        callback(grpcError(notificationErrors.deadlineExceeded('deadline exceeded before the call started')));
        return;
      }
      run(call.request, call).then(
        (response) => callback(null, response),
        (error: unknown) => {
          const failure = toNotificationError(error);
          if (failure.entry === 'internal' || failure.entry === 'unavailable')
            context.logger.error({ err: error, method }, 'gRPC call failed');
          callback(grpcError(failure));
        },
      );
    };
}

/** Rolls the work back when the caller gave up: a create past its deadline stores nothing. */
function assertStillWanted(call: AnyCall): void {
  if (call.cancelled || deadlinePassed(call))
    throw notificationErrors.deadlineExceeded('deadline exceeded; nothing was stored');
}

function idempotencyKey(call: AnyCall): string | undefined {
  const value = call.metadata.get('idempotency-key')[0];
  return value === undefined ? undefined : String(value);
}

export function notificationHandlers(runtime: NotificationRuntime, unary: ReturnType<typeof makeUnary>) {
  const { notifications, config } = runtime;
  const allowPrivate = runtime.context.config.allowPrivateWebhooks;
  const handlers: NotificationServiceHandlers = {
    CreateNotification: unary(
      'CreateNotification',
      async (request: CreateNotificationRequest__Output, call) => {
        const item = validateCreate(request, { providers: config.providers, allowPrivate });
        return notifications.idempotent(
          idempotencyKey(call as AnyCall),
          'CreateNotification',
          request,
          async (trx) => {
            const [row] = await notifications.insert(trx, [item], { source: 'grpc' });
            assertStillWanted(call as AnyCall);
            return {
              notification_id: row!.id,
              status: 'queued',
              created_at: toTimestamp(row!.created_at),
              message: item.scheduledAt
                ? `scheduled for ${item.scheduledAt.toISOString()}`
                : 'queued for delivery',
            };
          },
        );
      },
    ),
    CreateBulkNotification: unary('CreateBulkNotification', async (request, call) => {
      const items = (request.notifications ?? []) as BulkNotificationItem__Output[];
      if (items.length === 0)
        throw notificationErrors.invalidArgument('notifications', 'at least one is required');
      if (items.length > MAX_BULK_ITEMS)
        throw notificationErrors.invalidArgument('notifications', `at most ${MAX_BULK_ITEMS} are allowed`);
      const valid = items.map((item, index) =>
        validateCreate(item, {
          providers: config.providers,
          allowPrivate,
          prefix: `notifications[${index}].`,
        }),
      );
      return notifications.idempotent(
        idempotencyKey(call as AnyCall),
        'CreateBulkNotification',
        request,
        async (trx) => {
          const batchId = notifications.newBatchId();
          const rows = await notifications.insert(trx, valid, { source: 'grpc', batchId });
          assertStillWanted(call as AnyCall);
          return {
            batch_id: batchId,
            notification_ids: rows.map((row) => row.id),
            status: 'queued',
            total_count: rows.length,
          };
        },
      );
    }),
    GetNotification: unary('GetNotification', async (request) =>
      toNotificationMessage(await notifications.get(request.notification_id)),
    ),
    GetNotificationHistory: unary('GetNotificationHistory', async (request) => {
      const result = await notifications.history({
        page: request.page,
        pageSize: request.page_size,
        filters: request.filters ?? {},
      });
      return {
        notifications: result.items.map(toNotificationMessage),
        total: result.total,
        page: result.page,
        page_size: result.pageSize,
        total_pages: Math.ceil(result.total / result.pageSize),
      };
    }),
    CancelNotification: unary('CancelNotification', async (request) =>
      notifications.cancel(request.notification_id),
    ),
    RetryNotification: unary('RetryNotification', async (request) =>
      notifications.retry(request.notification_id),
    ),
    GetStats: unary('GetStats', async () => notifications.stats()),
  };
  return handlers;
}

export function queueHandlers(
  runtime: NotificationRuntime,
  unary: ReturnType<typeof makeUnary>,
  version: string,
): QueueMonitoringServiceHandlers {
  const { monitor } = runtime;
  return {
    GetQueueStats: unary('GetQueueStats', async (request) => ({
      queues: await monitor.stats(request.queue_name),
    })),
    GetQueueInfo: unary('GetQueueInfo', async (request) => {
      const info = await monitor.info(request.queue_name);
      return { ...info, created_at: toTimestamp(info.created_at) };
    }),
    GetConsumerInfo: unary('GetConsumerInfo', async (request) => ({
      consumers: (await monitor.consumers(request.queue_name)).map((consumer) => ({
        ...consumer,
        connected_at: toTimestamp(consumer.connected_at),
        last_seen_at: toTimestamp(consumer.last_seen_at),
      })),
    })),
    GetMessageDetails: unary('GetMessageDetails', async (request) => {
      const message = await monitor.message(request.message_id, request.queue_name);
      return {
        ...message,
        published_at: toTimestamp(message.published_at),
        delivered_at: toTimestamp(message.delivered_at),
      };
    }),
    PurgeQueue: unary('PurgeQueue', async (request) => {
      const { count } = await monitor.purge(request.queue_name);
      return { success: true, purged_count: count, message: `purged ${count} message(s)` };
    }),
    HealthCheck: unary('HealthCheck', async () => {
      const services = await runtime.health();
      const healthy = services.every((service) => service.healthy);
      return {
        healthy,
        status: healthy ? 'ok' : 'degraded',
        version,
        timestamp: new Date().toISOString(),
        services,
      };
    }),
  };
}

/**
 * The gRPC listener (13051): NotificationService, QueueMonitoringService, grpc.health.v1 and
 * server reflection. Without NOTIFICATION_GRPC_TOKEN it binds loopback only (the seed has no
 * auth); with one it binds TRUSTPLANE_HOST and every call needs `authorization: Bearer <token>`.
 */
export async function startGrpcServer(
  runtime: NotificationRuntime,
  port: number,
  version: string,
): Promise<Stoppable & { port: number }> {
  const { context, config } = runtime;
  const server = new grpc.Server({
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
  });
  const unary = makeUnary(context, config.grpcToken);
  server.addService(
    loadNotificationProto().notification.NotificationService.service,
    notificationHandlers(runtime, unary),
  );
  server.addService(
    loadQueueProto().queue.QueueMonitoringService.service,
    queueHandlers(runtime, unary, version),
  );
  const health = new HealthImplementation({
    '': 'SERVING',
    'notification.NotificationService': 'SERVING',
    'queue.QueueMonitoringService': 'SERVING',
  });
  health.addToServer(server);
  new ReflectionService({ ...notificationPackageDefinition(), ...queuePackageDefinition() }).addToServer(
    server,
  );
  // grpc.health.v1 follows the database: NOT_SERVING while PostgreSQL is unreachable.
  const refresh = async () => {
    const components = await runtime.health().catch(() => [{ name: 'postgres', healthy: false }]);
    const status = components.every((component) => component.healthy) ? 'SERVING' : 'NOT_SERVING';
    for (const name of ['', 'notification.NotificationService', 'queue.QueueMonitoringService'])
      health.setStatus(name, status);
  };
  const timer = setInterval(() => void refresh(), 5000);
  timer.unref();
  const host = config.grpcHost ?? (config.grpcToken ? context.config.host : '127.0.0.1');
  const boundPort = await new Promise<number>((resolve, reject) => {
    server.bindAsync(
      `${host.includes(':') ? `[${host}]` : host}:${port}`,
      grpc.ServerCredentials.createInsecure(),
      (error, bound) => (error ? reject(error) : resolve(bound)),
    );
  });
  return {
    port: boundPort,
    stop: () =>
      new Promise<void>((resolve) => {
        clearInterval(timer);
        const forced = setTimeout(() => server.forceShutdown(), 5000);
        server.tryShutdown(() => {
          clearTimeout(forced);
          resolve();
        });
      }),
  };
}
