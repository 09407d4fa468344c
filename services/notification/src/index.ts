import { fileURLToPath } from 'node:url';
import { packageVersion, type ServiceDefinition } from '@trustplane/kernel';
import { startGrpcServer } from './grpc/grpc-server.js';
import { buildNotificationApp } from './http/app.js';

const version = packageVersion(new URL('../package.json', import.meta.url));

export const notificationService: ServiceDefinition = {
  name: 'notification',
  title: 'Notification Service',
  version,
  schema: 'notification',
  migrationsDir: fileURLToPath(new URL('../migrations', import.meta.url)),
  ports: { http: 13080, grpc: 13051 },
  buildHttp: (context) => buildNotificationApp(context, version),
  startListeners: (context, ports) => startGrpcServer(context, ports.grpc!, version),
};
