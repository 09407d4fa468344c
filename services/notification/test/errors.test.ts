import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { catalogueEntries, isServiceError } from '@trustplane/kernel';
import { checkServiceErrors } from '@trustplane/kernel/testkit';
import { notificationErrors, toNotificationError } from '../src/domain/errors.js';
import { GRPC_CODES, grpcError } from '../src/grpc/grpc-server.js';
import { renderNotificationError } from '../src/http/errors.js';
import { notificationService } from '../src/index.js';
import { type Service, startService } from './harness.js';

describe('the error catalogue (kernel defineErrorCatalogue) → gRPC codes', () => {
  test('the catalogue, the sources and the README "Errors" table agree both ways', () => {
    const problems = checkServiceErrors(notificationService, {
      renderer: renderNotificationError,
      packageDir: new URL('..', import.meta.url),
    });
    assert.deepEqual(problems, []);
  });

  test('every entry has one gRPC code, and the README names it beside the entry', async () => {
    const { readFile } = await import('node:fs/promises');
    const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
    for (const entry of catalogueEntries(notificationErrors).values()) {
      const code = GRPC_CODES[entry.name as keyof typeof GRPC_CODES];
      assert.ok(code !== undefined && code !== grpc.status.UNKNOWN, `${entry.name} has a gRPC code`);
      const row = readme.split('\n').find((line) => line.startsWith(`| \`${entry.code}\` |`));
      assert.ok(row?.includes(grpc.status[code]!), `README row of ${entry.code} names ${grpc.status[code]}`);
    }
  });

  test('messages name the field; a database outage is UNAVAILABLE; anything else INTERNAL without its text', () => {
    assert.deepEqual(grpcError(notificationErrors.invalidArgument('recipients[1].address', 'is not valid')), {
      code: grpc.status.INVALID_ARGUMENT,
      details: 'recipients[1].address: is not valid',
    });
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    // The kernel tags failures of the pool's own connections; a bare socket error elsewhere is not an outage.
    assert.equal(grpcError(refused).code, grpc.status.INTERNAL);
    const terminated = new Error('Connection terminated unexpectedly');
    assert.deepEqual(grpcError(terminated), {
      code: grpc.status.UNAVAILABLE,
      details: 'database unavailable; retry later',
    });
    const shutdown = Object.assign(new Error('terminating connection due to administrator command'), {
      code: '57P01',
      severity: 'FATAL',
    });
    assert.equal(grpcError(shutdown).code, grpc.status.UNAVAILABLE);
    const bug = grpcError(new TypeError('secret detail of a bug'));
    assert.deepEqual(bug, { code: grpc.status.INTERNAL, details: 'internal error' });
    assert.ok(isServiceError(toNotificationError('a string')));
  });
});

describe('a real database outage', () => {
  let service: Service;
  before(async () => {
    service = await startService({ workers: false, databaseOutage: true });
  });
  after(async () => service?.close());

  test('HTTP /health answers 503 degraded and gRPC calls UNAVAILABLE, then both recover', async () => {
    const id = 'ntf_01HXYZ0000000000000000000A';
    const restore = await service.booted.takeDatabaseDown();
    try {
      const health = await service.http.inject({ method: 'GET', url: '/health' });
      assert.equal(health.statusCode, 503);
      assert.equal(health.json().status, 'degraded');
      await assert.rejects(
        service.rpc('GetNotification', { notification_id: id }),
        (error: grpc.ServiceError) => {
          assert.equal(error.code, grpc.status.UNAVAILABLE);
          assert.equal(error.details, 'database unavailable; retry later');
          return true;
        },
      );
    } finally {
      await restore();
    }
    assert.equal((await service.http.inject({ method: 'GET', url: '/health' })).statusCode, 200);
    await assert.rejects(
      service.rpc('GetNotification', { notification_id: id }),
      (error: grpc.ServiceError) => {
        assert.equal(error.code, grpc.status.NOT_FOUND);
        return true;
      },
    );
  });
});
