import * as grpc from '@grpc/grpc-js';
import { freePort, type Stoppable } from '@trustplane/kernel';
import {
  type BootedService,
  Contract,
  type ServiceHarness,
  serviceHarness,
} from '@trustplane/kernel/testkit';
import type { NotificationServiceClient } from '../src/grpc/generated/notification/NotificationService.js';
import type { QueueMonitoringServiceClient } from '../src/grpc/generated/queue/QueueMonitoringService.js';
import { loadNotificationProto, loadQueueProto, startGrpcServer } from '../src/grpc/grpc-server.js';
import { notificationRuntime, notificationService } from '../src/index.js';
import type { NotificationRuntime } from '../src/service.js';

/** Settings this test file's `startService` passes in the boot env (set by `testEnv`). */
let fileEnv: Record<string, string> = {};

/**
 * Short backoff and fast crash recovery: tests wait milliseconds, never the production minutes.
 * They reach the service through the boot env of the file's `startService` (beneath its own `env`).
 */
export function testEnv(overrides: Record<string, string> = {}): Record<string, string> {
  fileEnv = {
    NOTIFICATION_RETRY_DELAYS_MS: '100,200,400',
    NOTIFICATION_POLLING_INTERVAL_SECONDS: '0.5',
    NOTIFICATION_SEND_TIMEOUT_MS: '5000',
    ...overrides,
  };
  return fileEnv;
}

type Callback<T> = (error: grpc.ServiceError | null, value?: T) => void;

/** Promise form of a unary call; rejects with the grpc.ServiceError. */
export function call<Req, Res>(
  client: grpc.Client,
  method: string,
  request: Req,
  options: { metadata?: Record<string, string>; deadlineMs?: number } = {},
): Promise<Res> {
  const metadata = new grpc.Metadata();
  for (const [key, value] of Object.entries(options.metadata ?? {})) metadata.set(key, value);
  const fn = (client as unknown as Record<string, (...args: unknown[]) => void>)[method]!.bind(client);
  return new Promise<Res>((resolve, reject) => {
    const callback: Callback<Res> = (error, value) => (error ? reject(error) : resolve(value as Res));
    fn(request, metadata, { deadline: Date.now() + (options.deadlineMs ?? 15_000) }, callback);
  });
}

export interface Service {
  /** The kernel's harness: the HTTP surface, every response checked against the seed. */
  http: ServiceHarness;
  booted: BootedService;
  runtime: NotificationRuntime;
  grpc: Stoppable & { port: number };
  notifications: NotificationServiceClient;
  queues: QueueMonitoringServiceClient;
  /** Calls NotificationService. */
  rpc<Res = Record<string, unknown>>(
    method: string,
    request: object,
    metadata?: Record<string, string>,
  ): Promise<Res>;
  /** Calls QueueMonitoringService. */
  queue<Res = Record<string, unknown>>(method: string, request: object): Promise<Res>;
  close(): Promise<void>;
}

export async function startService(
  options: {
    workers?: boolean;
    env?: Record<string, string>;
    /** Connect through a relay that `booted.takeDatabaseDown()` can cut. */
    databaseOutage?: boolean;
  } = {},
): Promise<Service> {
  const http = await serviceHarness(notificationService, {
    contract: Contract.forService(notificationService),
    boot: {
      workers: options.workers ?? true,
      databaseOutage: options.databaseOutage ?? false,
      env: { TRUSTPLANE_JOBS_MAINTENANCE_SECONDS: '1', ...fileEnv, ...options.env },
    },
  });
  const { booted } = http;
  const runtime = notificationRuntime(booted.context);
  const server = await startGrpcServer(runtime, await freePort(), notificationService.version);
  const address = `127.0.0.1:${server.port}`;
  const notifications = new (loadNotificationProto().notification.NotificationService)(
    address,
    grpc.credentials.createInsecure(),
  );
  const queues = new (loadQueueProto().queue.QueueMonitoringService)(
    address,
    grpc.credentials.createInsecure(),
  );
  return {
    http,
    booted,
    runtime,
    grpc: server,
    notifications,
    queues,
    rpc: (method, request, metadata) => call(notifications, method, request, metadata ? { metadata } : {}),
    queue: (method, request) => call(queues, method, request),
    async close() {
      notifications.close();
      queues.close();
      await server.stop();
      await http.close();
    },
  };
}

export const email = (address: string, name = '') => ({ type: 'email', address, name });
