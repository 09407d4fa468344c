import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { probeDatabase, type ServiceContext, type Stoppable } from '@trustplane/kernel';

const QUEUE_PROTO = fileURLToPath(new URL('../../proto/queue.proto', import.meta.url));

interface QueueProto {
  queue: { QueueMonitoringService: grpc.ServiceClientConstructor };
}

export function loadQueueProto(): QueueProto {
  const definition = protoLoader.loadSync(QUEUE_PROTO, {
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
  });
  return grpc.loadPackageDefinition(definition) as unknown as QueueProto;
}

/** The gRPC listener of the seed (port 13051); HealthCheck reports the database and the bus. */
export async function startGrpcServer(
  context: ServiceContext,
  port: number,
  version: string,
): Promise<Stoppable & { port: number }> {
  const proto = loadQueueProto();
  const server = new grpc.Server();
  server.addService(proto.queue.QueueMonitoringService.service, {
    HealthCheck: (_call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      probeDatabase(context.database().pool).then((database) => {
        const services = [
          { name: 'postgres', healthy: database.ok },
          { name: context.config.amqpUrl ? 'rabbitmq' : 'bus', healthy: true },
        ];
        const healthy = services.every((service) => service.healthy);
        callback(null, {
          healthy,
          status: healthy ? 'ok' : 'degraded',
          version,
          timestamp: new Date().toISOString(),
          services,
        });
      }, callback);
    },
  });
  const boundPort = await new Promise<number>((resolve, reject) => {
    server.bindAsync(
      `${context.config.host}:${port}`,
      grpc.ServerCredentials.createInsecure(),
      (error, bound) => (error ? reject(error) : resolve(bound)),
    );
  });
  return {
    port: boundPort,
    stop: () =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => server.forceShutdown(), 5000);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}
