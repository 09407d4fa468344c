import { AssertionError } from 'node:assert';
import type { FastifyInstance, HTTPMethods } from 'fastify';
import type { Contract } from './contract.js';

const HTTP_METHODS = new Set(['GET', 'PUT', 'POST', 'DELETE', 'OPTIONS', 'HEAD', 'PATCH', 'TRACE']);

/** A seed path template (`/jobs/{job_id}`, `/share/:token`) as a router pattern (`/jobs/:job_id`). */
export function routePattern(template: string): string {
  return template.replace(/\{([^{}]+)\}/g, (_, name: string) => `:${name.replace(/[^A-Za-z0-9_]/g, '_')}`);
}

/**
 * The one seed-coverage check of every service: the seed's HTTP operations the app has no route
 * for, as `METHOD template`. The router matches patterns, not parameter names, so a route may
 * name its parameters its own way.
 */
export function unservedSeedOperations(app: FastifyInstance, contract: Contract): string[] {
  return contract
    .operations()
    .filter((operation) => HTTP_METHODS.has(operation.method))
    .filter(
      (operation) =>
        !app.hasRoute({ method: operation.method as HTTPMethods, url: routePattern(operation.template) }),
    )
    .map((operation) => `${operation.method} ${operation.template}`);
}

export function assertSeedOperationsServed(app: FastifyInstance, contract: Contract): void {
  const missing = unservedSeedOperations(app, contract);
  if (missing.length === 0) return;
  throw new AssertionError({
    message: `${contract.name}: ${missing.length} seed operation(s) have no route:\n  - ${missing.join('\n  - ')}`,
  });
}
