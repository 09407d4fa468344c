import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { holdEveryClient } from '@trustplane/kernel/testkit';
import { notificationService } from '../src/index.js';
import { type Service, startService, testEnv } from './harness.js';

describe('notification gRPC + HTTP health', () => {
  let service: Service;
  before(async () => {
    testEnv();
    service = await startService({ workers: false });
  });
  after(async () => {
    await service.close();
  });

  test('QueueMonitoringService/HealthCheck answers with the seed shape', async () => {
    const response = await service.queue<Record<string, unknown>>('HealthCheck', {});
    assert.equal(response.healthy, true);
    assert.equal(response.status, 'ok');
    assert.equal(response.version, notificationService.version);
    assert.ok(!Number.isNaN(Date.parse(String(response.timestamp))));
    assert.deepEqual(response.services, [
      { name: 'postgres', healthy: true },
      { name: 'bus', healthy: true },
    ]);
  });

  test('grpc.health.v1 answers SERVING', async () => {
    const { HealthClient } = await import('./health-client.js');
    const status = await HealthClient.check(`127.0.0.1:${service.grpc.port}`);
    assert.equal(status, 'SERVING');
  });

  test('HTTP /health reports ok with uptime', async () => {
    const response = await service.http.inject({ method: 'GET', url: '/health' });
    assert.equal(response.statusCode, 200);
    const body = response.json() as { status: string; uptime_seconds: number };
    assert.equal(body.status, 'ok');
    assert.ok(Number.isInteger(body.uptime_seconds));
  });

  test('every pool client taken (a spike): /health and HealthCheck still ok, PostgreSQL not called down', async () => {
    const release = await holdEveryClient(service.booted.context.database().pool);
    try {
      const response = await service.http.inject({ method: 'GET', url: '/health' });
      assert.equal(response.statusCode, 200);
      assert.equal(response.json().status, 'ok');
      const check = await service.queue<Record<string, unknown>>('HealthCheck', {});
      assert.equal(check.healthy, true);
    } finally {
      release();
    }
  });

  test('an unknown method is UNIMPLEMENTED, never UNKNOWN', async () => {
    const client = new grpc.Client(`127.0.0.1:${service.grpc.port}`, grpc.credentials.createInsecure());
    const error = await new Promise<grpc.ServiceError>((resolve) => {
      client.makeUnaryRequest(
        '/notification.NotificationService/Nope',
        (value: Buffer) => value,
        (value: Buffer) => value,
        Buffer.alloc(0),
        (err) => resolve(err as grpc.ServiceError),
      );
    });
    client.close();
    assert.equal(error.code, grpc.status.UNIMPLEMENTED);
  });
});
