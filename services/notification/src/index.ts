import { fileURLToPath } from 'node:url';
import { packageVersion, type ServiceContext, type ServiceDefinition } from '@trustplane/kernel';
import { startGrpcServer } from './grpc/grpc-server.js';
import { buildNotificationApp } from './http/app.js';
import { createNotificationRuntime, type NotificationRuntime } from './service.js';

const version = packageVersion(new URL('../package.json', import.meta.url));

// One composition per context (a process may hold several contexts in tests).
const runtimes = new WeakMap<ServiceContext, NotificationRuntime>();
export function notificationRuntime(context: ServiceContext): NotificationRuntime {
  let runtime = runtimes.get(context);
  if (!runtime) {
    runtime = createNotificationRuntime(context);
    runtimes.set(context, runtime);
  }
  return runtime;
}

export const notificationService: ServiceDefinition = {
  name: 'notification',
  title: 'Notification Service',
  version,
  schema: 'notification',
  migrationsDir: fileURLToPath(new URL('../migrations', import.meta.url)),
  ports: { http: 13080, grpc: 13051 },
  buildHttp: (context) => buildNotificationApp(notificationRuntime(context), version),
  startListeners: (context, ports) => startGrpcServer(notificationRuntime(context), ports.grpc!, version),
  defineJobs: (context) => notificationRuntime(context).defineJobs(),
  startWorkers: (context) => notificationRuntime(context).startWorkers(),
};
