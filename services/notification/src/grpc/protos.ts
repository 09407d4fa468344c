import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { ProtoGrpcType as NotificationProto } from './generated/notification.js';
import type { ProtoGrpcType as QueueProto } from './generated/queue.js';

export const PROTO_DIR = fileURLToPath(new URL('../../proto', import.meta.url));

/** The options the generated types were made with (package.json `proto:types`). */
export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_DIR],
};

let notificationDefinition: protoLoader.PackageDefinition | undefined;
let queueDefinition: protoLoader.PackageDefinition | undefined;

export function notificationPackageDefinition(): protoLoader.PackageDefinition {
  notificationDefinition ??= protoLoader.loadSync('notification.proto', LOADER_OPTIONS);
  return notificationDefinition;
}

export function queuePackageDefinition(): protoLoader.PackageDefinition {
  queueDefinition ??= protoLoader.loadSync('queue.proto', LOADER_OPTIONS);
  return queueDefinition;
}

export function loadNotificationProto(): NotificationProto {
  return grpc.loadPackageDefinition(notificationPackageDefinition()) as unknown as NotificationProto;
}

export function loadQueueProto(): QueueProto {
  return grpc.loadPackageDefinition(queuePackageDefinition()) as unknown as QueueProto;
}
