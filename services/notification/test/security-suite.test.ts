import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  Contract,
  type ServiceHarness,
  securitySuiteTests,
  serviceHarness,
} from '@trustplane/kernel/testkit';
import { notificationService } from '../src/index.js';
import { testEnv } from './harness.js';

// The HTTP surface only: the seed's gRPC methods are authenticated by metadata (grpc-auth.test.ts).
let harness: ServiceHarness;
before(async () => {
  harness = await serviceHarness(notificationService, {
    contract: Contract.forService(notificationService),
    boot: { workers: false, env: testEnv() },
  });
});
after(async () => {
  await harness?.close();
});

// Its one HTTP operation is public, by decision where the seed is silent.
securitySuiteTests(
  () => harness,
  {
    schemes: {},
    operations: {},
    public: { 'GET /health': 'a load balancer probes it without credentials' },
  },
  { covered: 0, public: ['GET /health'] },
);

test('GET /health answers without credentials', async () => {
  const health = await harness.inject({ method: 'GET', url: '/health' });
  assert.equal(health.statusCode, 200, health.body);
});
