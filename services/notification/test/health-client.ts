import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath } from 'grpc-health-check';

interface HealthStub extends grpc.Client {
  Check(
    request: { service: string },
    callback: (error: grpc.ServiceError | null, response?: { status: string }) => void,
  ): void;
}

/** A grpc.health.v1 client, as an orchestrator's probe uses it. */
export const HealthClient = {
  async check(address: string, service = ''): Promise<string> {
    const definition = protoLoader.loadSync(protoPath, { keepCase: true, enums: String, defaults: true });
    const loaded = grpc.loadPackageDefinition(definition) as unknown as {
      grpc: {
        health: { v1: { Health: new (address: string, credentials: grpc.ChannelCredentials) => HealthStub } };
      };
    };
    const client = new loaded.grpc.health.v1.Health(address, grpc.credentials.createInsecure());
    try {
      return await new Promise<string>((resolve, reject) => {
        client.Check({ service }, (error, response) => (error ? reject(error) : resolve(response!.status)));
      });
    } finally {
      client.close();
    }
  },
};
