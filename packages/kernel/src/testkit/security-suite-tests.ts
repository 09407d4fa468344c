import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { describeSecurityReport, type SecuritySuite } from './security-suite.js';
import type { ServiceHarness } from './service-harness.js';

/**
 * What a service's `test/security-suite.test.ts` runs: every seed operation has a route (but the
 * suite's `deferred` ones, which have none yet), and the suite passes (its report is the test's
 * diagnostic) with `covered` operations authenticated and exactly the `public` ones answered
 * without credentials.
 */
export function securitySuiteTests<Tenant>(
  harness: () => ServiceHarness<Tenant>,
  suite: SecuritySuite<Tenant>,
  expected: { covered: number; public: readonly string[] },
): void {
  describe('security suite', () => {
    const deferred = Object.keys(suite.deferred ?? {});
    test(
      deferred.length === 0 ? 'serves every seed operation' : 'serves every seed operation not deferred',
      () => {
        if (deferred.length === 0) {
          harness().assertSeedOperationsServed();
          return;
        }
        // A deferred operation that has a route is stale: the suite has to cover it now.
        assert.deepEqual(harness().unservedOperations().sort(), [...deferred].sort());
      },
    );

    test('refuses missing, malformed, revoked and foreign credentials on every non-public operation', async (t) => {
      const report = await harness().runSecuritySuite(suite);
      t.diagnostic(describeSecurityReport(report));
      assert.deepEqual(Object.keys(report.public).sort(), [...expected.public].sort());
      assert.equal(Object.keys(report.covered).length, expected.covered);
    });
  });
}

/** `make` once per tenant (the resources a suite's operations share), its promise kept. */
export function perTenant<Tenant, T>(make: (tenant: Tenant) => Promise<T>): (tenant: Tenant) => Promise<T> {
  const made = new Map<Tenant, Promise<T>>();
  return (tenant) => {
    let value = made.get(tenant);
    if (value === undefined) {
      value = make(tenant);
      made.set(tenant, value);
    }
    return value;
  };
}
