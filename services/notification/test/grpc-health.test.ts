import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { freePort, type Stoppable } from '@trustplane/kernel';
import { type BootedService, bootService, Contract } from '@trustplane/kernel/testkit';
import { loadQueueProto, startGrpcServer } from '../src/grpc/grpc-server.js';
import { notificationService } from '../src/index.js';

describe('notification gRPC + HTTP health', () => {
  let booted: BootedService;
  let grpcServer: Stoppable & { port: number };
  const contract = Contract.forService('notification');
  before(async () => {
    booted = await bootService(notificationService);
    grpcServer = await startGrpcServer(booted.context, await freePort(), notificationService.version);
  });
  after(async () => {
    await grpcServer.stop();
    await booted.close();
  });

  test('QueueMonitoringService/HealthCheck answers with the seed shape', async () => {
    const proto = loadQueueProto();
    const client = new proto.queue.QueueMonitoringService(
      `127.0.0.1:${grpcServer.port}`,
      grpc.credentials.createInsecure(),
    );
    const healthClient = client as unknown as {
      HealthCheck(
        request: object,
        callback: (error: Error | null, result: Record<string, unknown>) => void,
      ): void;
    };
    const response = await new Promise<Record<string, unknown>>((resolve, reject) => {
      healthClient.HealthCheck({}, (error, result) => (error ? reject(error) : resolve(result)));
    });
    client.close();
    assert.equal(response.healthy, true);
    assert.equal(response.status, 'ok');
    assert.equal(response.version, notificationService.version);
    assert.ok(!Number.isNaN(Date.parse(String(response.timestamp))));
    assert.deepEqual(response.services, [
      { name: 'postgres', healthy: true },
      { name: 'bus', healthy: true },
    ]);
  });

  test('HTTP /health reports ok with uptime', async () => {
    const response = await booted.app.inject({ method: 'GET', url: '/health' });
    assert.equal(response.statusCode, 200);
    contract.assertResponse('GET', '/health', response);
    const body = response.json() as { status: string; uptime_seconds: number };
    assert.equal(body.status, 'ok');
    assert.ok(Number.isInteger(body.uptime_seconds));
  });
});
