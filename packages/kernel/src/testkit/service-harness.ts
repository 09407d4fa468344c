import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import type { ServiceDefinition } from '../runtime/service-definition.js';
import { type BootedService, type BootOptions, bootService } from './boot-service.js';
import type { Contract } from './contract.js';
import { runSecuritySuite, type SecurityReport, type SecuritySuite } from './security-suite.js';
import { assertSeedOperationsServed, unservedSeedOperations } from './seed-coverage.js';

/** An injected request: `app.inject` options, plus how its response is checked against the seed. */
export type HarnessRequest = InjectOptions & {
  method: string;
  url: string;
  /** The response is not checked against the contract (a route the seed does not list, raw bytes). */
  skipContract?: boolean;
  /** Check against this path's operation instead of the URL's (a legacy alias of a seed path). */
  contractPath?: string;
};

/** Checks one response against the seed; throws an AssertionError naming every violation. */
export type ResponseCheck = (
  request: { method: string; path: string },
  response: LightMyRequestResponse,
  contract: Contract,
) => void;

export interface ServiceHarnessOptions<Tenant> {
  /** The service's seed contract (`Contract.forService(…)`), against which every response is checked. */
  contract: Contract;
  /** How the service is booted: environment, workers, an existing database, an outage relay. */
  boot?: BootOptions;
  /**
   * Replaces the default check (`contract.assertResponse`) for a service whose README decides
   * statuses the seed does not list; it still has to validate against the seed.
   */
  checkResponse?: ResponseCheck;
  /**
   * Makes a tenant with its credentials through the doors a client uses (the service's API or
   * its operator CLI command); every call makes a new, unrelated one.
   */
  tenant?: (harness: ServiceHarness<Tenant>) => Promise<Tenant>;
}

export interface ServiceHarness<Tenant = unknown> {
  readonly booted: BootedService;
  readonly app: FastifyInstance;
  readonly contract: Contract;
  /** `app.inject`, then the response checked against the seed (unless `skipContract`). */
  inject(request: HarnessRequest): Promise<LightMyRequestResponse>;
  /** A fresh tenant from the service's tenant factory. */
  tenant(): Promise<Tenant>;
  /** Seed operations the app has no route for (`METHOD template`). */
  unservedOperations(): string[];
  /** Fails with the list of seed operations the app has no route for. */
  assertSeedOperationsServed(): void;
  /** Runs the seed-driven security suite (see `runSecuritySuite`); throws on any failure. */
  runSecuritySuite(suite: SecuritySuite<Tenant>): Promise<SecurityReport>;
  close(): Promise<void>;
}

const defaultCheck: ResponseCheck = (request, response, contract) => {
  contract.assertResponse(request.method, request.path, {
    statusCode: response.statusCode,
    headers: response.headers,
    body: response.rawPayload,
  });
};

/**
 * One service booted for tests the way every service is booted (`bootService`: a fresh database
 * of the test run's embedded PostgreSQL, migrated, its own data dir), with an inject that checks
 * every response against the seed, the service's tenant factory, the seed-coverage check and the
 * seed-driven security suite.
 */
export async function serviceHarness<Tenant = unknown>(
  definition: ServiceDefinition,
  options: ServiceHarnessOptions<Tenant>,
): Promise<ServiceHarness<Tenant>> {
  const booted = await bootService(definition, options.boot ?? {});
  return harnessFor(booted, options);
}

/** A harness over a service already booted with `bootService` (closing it closes the service). */
export function harnessFor<Tenant = unknown>(
  booted: BootedService,
  options: Omit<ServiceHarnessOptions<Tenant>, 'boot'>,
): ServiceHarness<Tenant> {
  const { contract } = options;
  const check = options.checkResponse ?? defaultCheck;
  const harness: ServiceHarness<Tenant> = {
    booted,
    app: booted.app,
    contract,
    async inject(request) {
      const { skipContract, contractPath, ...inject } = request;
      const response = await booted.app.inject(inject);
      if (!skipContract) {
        const path = (contractPath ?? request.url).split('?')[0] ?? request.url;
        check({ method: request.method.toUpperCase(), path }, response, contract);
      }
      return response;
    },
    tenant() {
      if (!options.tenant) throw new Error(`${booted.context.service}: the harness has no tenant factory`);
      return options.tenant(harness);
    },
    unservedOperations: () => unservedSeedOperations(booted.app, contract),
    assertSeedOperationsServed: () => assertSeedOperationsServed(booted.app, contract),
    runSecuritySuite: (suite) => runSecuritySuite(harness, suite),
    close: () => booted.close(),
  };
  return harness;
}
