import { AssertionError } from 'node:assert';
import type { Contract, ContractOperation } from './contract.js';

const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

interface ServedOperation {
  method: string;
  path: string;
  operationId?: unknown;
  summary?: unknown;
  extension: boolean;
}

/** The path part of the document's first server (`https://host/api` or `/api` → `/api`). */
function serverBasePath(document: unknown): string {
  const url = (document as { servers?: { url?: unknown }[] }).servers?.[0]?.url;
  if (typeof url !== 'string') return '';
  const path = /^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? new URL(url).pathname : url;
  let end = path.length;
  while (end > 0 && path[end - 1] === '/') end -= 1;
  return path.slice(0, end);
}

function servedOperations(document: unknown): ServedOperation[] {
  const paths = (document as { paths?: Record<string, Record<string, Record<string, unknown>>> }).paths ?? {};
  const base = serverBasePath(document);
  const served: ServedOperation[] = [];
  for (const [relative, item] of Object.entries(paths)) {
    const path = `${base}${relative}`;
    for (const [method, operation] of Object.entries(item)) {
      if (!HTTP_METHODS.has(method)) continue;
      served.push({
        method: method.toUpperCase(),
        path,
        operationId: operation.operationId,
        summary: operation.summary,
        extension: operation['x-extension'] === true,
      });
    }
  }
  return served;
}

function seedKey(operation: ContractOperation): string {
  return `${operation.method} ${operation.template}`;
}

/**
 * How a service's served `/openapi.json` departs from its seed, one line per problem (empty when
 * it does not):
 * - a seed HTTP operation no documented operation answers (by method and path pattern);
 * - a documented operation whose `operationId` differs from the seed's (where the seed has one) or
 *   whose `summary` differs from the seed's summary (the 004 document: the endpoint's `name`);
 * - a documented operation the seed does not list that is not marked `'x-extension': true`.
 * Paths are the document's own, under the path of its first server, as a client calls them.
 */
export interface OpenApiSeedCheckOptions {
  /**
   * Seed operations deliberately left out of the document (`METHOD template` → why), such as the
   * kernel's platform routes (`/metrics`), which no service documents.
   */
  undocumented?: Readonly<Record<string, string>>;
}

export function openApiSeedMismatches(
  document: unknown,
  contract: Contract,
  options: OpenApiSeedCheckOptions = {},
): string[] {
  const problems: string[] = [];
  const documented = new Set<string>();
  for (const operation of servedOperations(document)) {
    const where = `${operation.method} ${operation.path}`;
    // A documented `{param}` segment stands for any value: it matches the seed's parameters, never
    // one of its literal segments.
    const seedOperations = contract.operationsFor(operation.method, operation.path);
    const [seed] = seedOperations;
    if (!seed) {
      if (!operation.extension) problems.push(`${where}: not in the seed and not marked 'x-extension': true`);
      continue;
    }
    if (operation.extension) problems.push(`${where}: marked 'x-extension' but the seed lists it`);
    documented.add(seedKey(seed));
    if (seed.operationId !== undefined && operation.operationId !== seed.operationId) {
      problems.push(
        `${where}: operationId ${JSON.stringify(operation.operationId)}, the seed's is ${JSON.stringify(seed.operationId)}`,
      );
    }
    if (seed.summary !== undefined && operation.summary !== seed.summary) {
      problems.push(
        `${where}: summary ${JSON.stringify(operation.summary)}, the seed's is ${JSON.stringify(seed.summary)}`,
      );
    }
  }
  for (const seed of contract.operations()) {
    if (!HTTP_METHODS.has(seed.method.toLowerCase())) continue;
    if (documented.has(seedKey(seed)) || options.undocumented?.[seedKey(seed)] !== undefined) continue;
    problems.push(`${seedKey(seed)}: in the seed, not in /openapi.json`);
  }
  return problems;
}

export function assertOpenApiMatchesSeed(
  document: unknown,
  contract: Contract,
  options: OpenApiSeedCheckOptions = {},
): void {
  const problems = openApiSeedMismatches(document, contract, options);
  if (problems.length === 0) return;
  throw new AssertionError({
    message: `${contract.name}: /openapi.json departs from the seed in ${problems.length} place(s):\n  - ${problems.join('\n  - ')}`,
  });
}
