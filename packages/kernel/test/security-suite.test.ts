import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Contract } from '../src/testkit/contract.js';
import { runSecuritySuite, type SecuritySuite } from '../src/testkit/security-suite.js';
import type { ServiceHarness } from '../src/testkit/service-harness.js';

const openApi = Contract.fromDocument({
  openapi: '3.1.0',
  info: { title: 't', version: '1' },
  security: [{ bearer: [] }],
  paths: {
    '/health': { get: { operationId: 'health', security: [], responses: { 200: { description: 'ok' } } } },
    '/items': { get: { operationId: 'listItems', responses: { 200: { description: 'ok' } } } },
    '/items/{id}': {
      get: {
        operationId: 'getItem',
        security: [{ bearer: [] }, {}],
        responses: { 200: { description: 'ok' }, 401: { description: 'no' } },
      },
      delete: { operationId: 'deleteItem', security: [{}], responses: { 204: { description: 'gone' } } },
    },
  },
});

const endpointDoc = Contract.fromDocument({
  sections: [
    {
      id: 's',
      endpoints: [
        { method: 'GET', path: '/open', auth: 'none' },
        { method: 'GET', path: '/mine', auth: 'JWT Bearer' },
        { method: 'GET', path: '/said-nothing' },
      ],
    },
  ],
});

const security = (contract: Contract) =>
  Object.fromEntries(
    contract
      .operations()
      .map((operation) => [operation.operationId ?? operation.template, operation.security]),
  );

describe('seed security', () => {
  test('OpenAPI: a scheme without an anonymous alternative, or a 401, is authenticated; [] or {} is public', () => {
    assert.deepEqual(security(openApi), {
      health: { kind: 'public', schemes: [] },
      listItems: { kind: 'authenticated', schemes: ['bearer'] },
      getItem: { kind: 'authenticated', schemes: ['bearer'] },
      deleteItem: { kind: 'public', schemes: [] },
    });
  });

  test('endpoint document: auth none is public, another auth names its scheme, no auth is unstated', () => {
    assert.deepEqual(security(endpointDoc), {
      '/open': { kind: 'public', schemes: [] },
      '/mine': { kind: 'authenticated', schemes: ['JWT Bearer'] },
      '/said-nothing': { kind: 'unstated', schemes: [] },
    });
  });
});

/** The suite refuses a plan before it makes a tenant: no service is needed to test that. */
function planOnly(contract: Contract): ServiceHarness<unknown> {
  return {
    contract,
    tenant: () => Promise.reject(new Error('the plan should have failed first')),
  } as unknown as ServiceHarness<unknown>;
}

const scheme: SecuritySuite<unknown>['schemes'][string] = {
  credential: () => 'x',
  malformed: 'y',
  revoked: { skip: 'test' },
  place: (credential) => ({ headers: { authorization: `Bearer ${credential}` } }),
  expect: { missing: 401, malformed: 401, revoked: 401, foreign: 404 },
};

describe('security suite plan', () => {
  test('an operation neither public nor covered fails the suite, as do stale and unknown entries', async () => {
    await assert.rejects(
      runSecuritySuite(planOnly(openApi), {
        schemes: { bearer: scheme },
        operations: { listItems: 'bearer', 'GET /gone': 'bearer', deleteItem: 'nope' },
        public: { health: '' },
      }),
      (error: Error) => {
        assert.match(
          error.message,
          /getItem: neither public nor covered by the security suite \(the seed says authenticated: bearer\)/,
        );
        assert.match(error.message, /GET \/gone: names no operation of the contract seed/);
        assert.match(error.message, /deleteItem: unknown scheme nope/);
        assert.match(error.message, /health: listed as public without a reason/);
        return true;
      },
    );
  });

  test('a deferred operation needs a reason and no other listing', async () => {
    await assert.rejects(
      runSecuritySuite(planOnly(openApi), {
        schemes: { bearer: scheme },
        operations: { listItems: 'bearer', getItem: 'bearer' },
        deferred: { deleteItem: '', health: 'later' },
        public: { health: 'a probe' },
      }),
      (error: Error) => {
        assert.match(error.message, /deleteItem: listed as deferred without a reason/);
        assert.match(error.message, /health: listed more than once among covered, public and deferred/);
        return true;
      },
    );
  });

  test('an unstated operation has to be classified by the service', async () => {
    await assert.rejects(
      runSecuritySuite(planOnly(endpointDoc), {
        schemes: { jwt: scheme },
        operations: { 'GET /mine': 'jwt' },
      }),
      /GET \/said-nothing: neither public nor covered by the security suite \(the seed says unstated\)/,
    );
  });
});

/**
 * A service in miniature: `Bearer <tenant>` authenticates, items belong to the tenant whose name
 * starts their id, and `GET /items/{id}` answers `itemStatus` to its owner.
 */
function miniatureService(itemStatus: number, clock = { expired: false }): ServiceHarness<string> {
  const tenants = ['alice', 'bob'];
  const respond = (statusCode: number) =>
    ({ statusCode, body: JSON.stringify({ statusCode }), json: () => ({ statusCode }) }) as never;
  return {
    contract: openApi,
    tenant: async () => tenants.shift() as string,
    async inject(request: { url: string; headers?: Record<string, string> }) {
      // `Bearer <tenant>[-reader|-expiring]` or `X-Tenant: <tenant>`; a reader may not read items by id.
      const bearer = /^Bearer (alice|bob)(-reader|-expiring)?$/.exec(request.headers?.authorization ?? '');
      const header = /^(alice|bob)$/.exec(request.headers?.['x-tenant'] ?? '');
      const caller = bearer?.[1] ?? header?.[1];
      if (!caller || (bearer?.[2] === '-expiring' && clock.expired)) return respond(401);
      const id = /^\/items\/(.+)$/.exec(request.url)?.[1];
      if (id === undefined) return respond(200);
      if (!id.startsWith(caller)) return respond(404);
      return respond(bearer?.[2] === '-reader' ? 403 : itemStatus);
    },
  } as unknown as ServiceHarness<string>;
}

const tenantScheme: SecuritySuite<string>['schemes'][string] = {
  credential: (tenant) => tenant,
  malformed: 'mallory',
  revoked: { skip: 'no revocation in the miniature' },
  place: (credential) => ({ headers: { authorization: `Bearer ${credential}` } }),
  expect: { missing: 401, malformed: 401, revoked: 401, foreign: 404 },
};

const miniatureSuite: SecuritySuite<string> = {
  schemes: { bearer: tenantScheme },
  operations: { listItems: 'bearer', getItem: 'bearer' },
  resources: { id: (tenant) => `${tenant}-item` },
};

describe('security suite control', () => {
  test("the owner's request has to be served: a 2xx control passes", async () => {
    const report = await runSecuritySuite(miniatureService(200), miniatureSuite);
    assert.equal(report.counts.control.passed, 2);
    assert.equal(report.counts.foreign.passed, 1);
  });

  test('a control answered with a client error fails: it does not show the credential passed authentication', async () => {
    await assert.rejects(runSecuritySuite(miniatureService(400), miniatureSuite), (error: Error) => {
      assert.match(error.message, /1 failure\(s\)/);
      assert.match(
        error.message,
        /getItem control \[bearer\]: the owner's own request was not served \(400\)/,
      );
      return true;
    });
  });
});

describe('security suite refusals and several schemes', () => {
  const clock = { expired: false };
  const refusing: SecuritySuite<string> = {
    schemes: {
      bearer: {
        ...tenantScheme,
        refusals: {
          // Too weak for an item: only operations on one item have something to prove.
          weak: {
            request: ({ tenant, operation }) =>
              operation.template.includes('{id}')
                ? { headers: { authorization: `Bearer ${tenant}-reader` } }
                : { notApplicable: 'a reader may list' },
            expect: 403,
          },
          expired: {
            request: ({ tenant }) => ({ headers: { authorization: `Bearer ${tenant}-expiring` } }),
            expect: 401,
            async around(send) {
              clock.expired = true;
              try {
                return await send();
              } finally {
                clock.expired = false;
              }
            },
          },
        },
      },
      header: {
        ...tenantScheme,
        place: (credential) => ({ headers: { 'x-tenant': credential } }),
      },
    },
    operations: { listItems: ['bearer', 'header'], getItem: { scheme: ['bearer', 'header'] } },
    deferred: { deleteItem: 'built later' },
    resources: { id: (tenant) => `${tenant}-item` },
  };

  test('each refusal is sent, n/a where it says so, inside its around; every scheme runs its own control', async () => {
    const report = await runSecuritySuite(miniatureService(200, clock), refusing);
    assert.deepEqual(report.counts.weak, { passed: 1, skipped: 0, notApplicable: 1 });
    assert.deepEqual(report.counts.expired, { passed: 2, skipped: 0, notApplicable: 0 });
    assert.equal(report.counts.control?.passed, 4);
    assert.equal(report.covered.getItem, 'bearer, header');
    assert.deepEqual(report.deferred, { deleteItem: 'built later' });
    assert.equal(clock.expired, false);
  });

  test('a refusal the service does not make fails the suite, naming the scheme case', async () => {
    const lenient = miniatureService(200, { expired: false });
    await assert.rejects(runSecuritySuite(lenient, refusing), (error: Error) => {
      assert.match(error.message, /listItems expired \[bearer\]: expected 401, got 200/);
      return true;
    });
  });
});
