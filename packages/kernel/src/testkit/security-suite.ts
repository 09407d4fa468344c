import { AssertionError } from 'node:assert';
import type { LightMyRequestResponse } from 'fastify';
import { type ContractOperation, operationName } from './contract.js';
import type { HarnessRequest, ServiceHarness } from './service-harness.js';

/**
 * The seed-driven security suite. Every seed operation is either public (the seed says so, or the
 * service lists it with a reason) or covered: given to one of the service's credential schemes.
 * For each covered operation the suite sends the owner's otherwise valid request with
 * - `missing`: no credential;
 * - `malformed`: a credential of the scheme's shape that is no credential;
 * - `revoked`: a credential of the owner revoked through the service's own door;
 * - `foreign`: another tenant's valid credential, on the owner's resources (when the path has ids);
 * and expects the status (and code) the service's seed gives for each. Then, as the control that
 * makes the refusals mean something, the same request with the owner's valid credential must
 * succeed (2xx or 3xx): a 4xx would leave open whether the credential passed authentication at
 * all, so every operation's request has to be one the service serves. An operation that is
 * neither public nor covered fails the suite, as does an entry naming no seed operation.
 */

export type SecurityCase = 'missing' | 'malformed' | 'revoked' | 'foreign';
const CASES: readonly SecurityCase[] = ['missing', 'malformed', 'revoked', 'foreign'];

/** A status, or a status and the error code the body must carry (read by `SecuritySuite.errorCode`). */
export type Expected = number | { status: number; code?: string | number };

/** A case or check left out on purpose, with why (shown in the report). */
export interface Skip {
  skip: string;
}

/** What a credential (or an operation's other inputs) adds to a request. */
export interface RequestPatch {
  headers?: Record<string, string>;
  query?: Record<string, string>;
  /** A JSON object is merged with the others; anything else (a multipart body) replaces them. */
  payload?: Record<string, unknown> | Buffer | string;
}

/** One way the service authenticates a caller (an API key, a session cookie, a bearer token). */
export interface SecurityScheme<Tenant> {
  /** The tenant's valid credential. */
  credential(tenant: Tenant): string | Promise<string>;
  /** Something in the credential's place that is not a credential (wrong shape, garbage, forged). */
  malformed: string;
  /** A credential of the tenant revoked through the service's real door (logout, key revoke); made once. */
  revoked: ((tenant: Tenant) => Promise<string>) | Skip;
  /** Where a credential goes in a request of the operation (a header, a cookie, a body field). */
  place(credential: string, operation: ContractOperation): RequestPatch;
  /** The seed's answer to each case. */
  expect: Record<SecurityCase, Expected>;
}

export interface OperationContext<Tenant> {
  operation: ContractOperation;
  tenant: Tenant;
  /** The path parameters, the tenant's resources. */
  params: Record<string, string>;
}

export type ResourceFactory<Tenant> = (
  tenant: Tenant,
  operation: ContractOperation,
) => string | Promise<string>;

export interface OperationSecurity<Tenant> {
  scheme: string;
  /** This operation's answers where they differ from the scheme's (a 403 the seed documents here). */
  expect?: Partial<Record<SecurityCase, Expected>>;
  /** Cases that do not apply to this operation, with why. */
  skip?: Partial<Record<SecurityCase | 'control', string>>;
  /** The rest of the owner's valid request (body, query). */
  request?: (context: OperationContext<Tenant>) => RequestPatch | Promise<RequestPatch>;
  /**
   * The operation changes its caller's own credentials or standing (logout, a password change,
   * leaving an organization): it runs with an owner tenant of its own, so the others keep theirs.
   * The value says why; with `make`, that owner is made by it rather than by the harness's tenant
   * factory (an owner the operation needs in a particular state, such as a member of a team).
   */
  ownTenant?: string | { why: string; make: () => Promise<Tenant> };
  /** Path parameters made fresh for this operation (not shared with others), e.g. what it deletes. */
  params?: Record<string, ResourceFactory<Tenant>>;
}

export interface SecuritySuite<Tenant> {
  schemes: Record<string, SecurityScheme<Tenant>>;
  /** Each operation the service authenticates (operationId or `METHOD template`) and its scheme. */
  operations: Record<string, string | OperationSecurity<Tenant>>;
  /** Operations answered without credentials that the seed does not mark public, each with why. */
  public?: Record<string, string>;
  /** A tenant's resource for each path parameter name, made through the API; made once per tenant. */
  resources?: Record<string, ResourceFactory<Tenant>>;
  /** The error code of a refusal, for expectations that name one. */
  errorCode?: (response: LightMyRequestResponse) => string | number | undefined;
}

export interface SecurityCaseResult {
  operation: string;
  case: SecurityCase | 'control';
  /** `n/a`: the case does not apply (no resource id in the path); `skipped`: left out with a reason. */
  outcome: 'passed' | 'failed' | 'skipped' | 'n/a';
  detail: string;
}

export interface SecurityReport {
  /** Covered operations, with their scheme. */
  covered: Record<string, string>;
  /** Public operations, with why (`seed` when the seed says so). */
  public: Record<string, string>;
  results: SecurityCaseResult[];
  /** Requests sent and passed, per case. */
  counts: Record<SecurityCase | 'control', { passed: number; skipped: number; notApplicable: number }>;
}

const expectedOf = (expected: Expected) => (typeof expected === 'number' ? { status: expected } : expected);
const describeExpected = (expected: Expected) => {
  const { status, code } = expectedOf(expected);
  return code === undefined ? String(status) : `${status} ${code}`;
};

const isJsonObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);

function merge(...patches: RequestPatch[]): RequestPatch {
  const merged: RequestPatch = {};
  for (const patch of patches) {
    if (patch.headers) merged.headers = { ...merged.headers, ...patch.headers };
    if (patch.query) merged.query = { ...merged.query, ...patch.query };
    if (patch.payload)
      merged.payload =
        isJsonObject(patch.payload) && isJsonObject(merged.payload)
          ? { ...merged.payload, ...patch.payload }
          : patch.payload;
  }
  return merged;
}

function pathParams(template: string): string[] {
  return [...template.matchAll(/\{([^{}]+)\}|\/:([A-Za-z_][A-Za-z0-9_]*)/g)].map(
    (match) => (match[1] ?? match[2]) as string,
  );
}

function fillTemplate(template: string, params: Record<string, string>): string {
  return template
    .replace(/\{([^{}]+)\}/g, (_, name: string) => encodeURIComponent(params[name] ?? ''))
    .replace(
      /\/:([A-Za-z_][A-Za-z0-9_]*)/g,
      (_, name: string) => `/${encodeURIComponent(params[name] ?? '')}`,
    );
}

/** Non-deleting operations first; deletions last, deepest path first, so a parent outlives its children. */
function runOrder(a: ContractOperation, b: ContractOperation): number {
  const deletes = Number(a.method === 'DELETE') - Number(b.method === 'DELETE');
  if (deletes !== 0) return deletes;
  if (a.method !== 'DELETE') return 0;
  return b.template.split('/').length - a.template.split('/').length;
}

class Cache<T> {
  readonly #entries = new Map<unknown, Map<string, Promise<T>>>();
  get(owner: unknown, key: string, make: () => T | Promise<T>): Promise<T> {
    let entries = this.#entries.get(owner);
    if (!entries) {
      entries = new Map();
      this.#entries.set(owner, entries);
    }
    let value = entries.get(key);
    if (!value) {
      value = Promise.resolve().then(make);
      entries.set(key, value);
    }
    return value;
  }
}

/** Runs the suite against a harness; throws an AssertionError listing every failure, else reports. */
export async function runSecuritySuite<Tenant>(
  harness: ServiceHarness<Tenant>,
  suite: SecuritySuite<Tenant>,
): Promise<SecurityReport> {
  const problems: string[] = [];
  const operations = harness.contract
    .operations()
    .filter((operation) => /^[A-Z]+$/.test(operation.method) && operation.method !== 'GRPC');
  const keysOf = (operation: ContractOperation) => [
    operationName(operation),
    `${operation.method} ${operation.template}`,
  ];
  const lookup = <T>(table: Record<string, T> | undefined, operation: ContractOperation) => {
    for (const key of keysOf(operation)) if (table && key in table) return table[key];
    return undefined;
  };

  const known = new Set(operations.flatMap(keysOf));
  for (const key of [...Object.keys(suite.operations), ...Object.keys(suite.public ?? {})]) {
    if (!known.has(key)) problems.push(`${key}: names no operation of the ${harness.contract.name} seed`);
  }

  const report: SecurityReport = {
    covered: {},
    public: {},
    results: [],
    counts: Object.fromEntries(
      [...CASES, 'control'].map((name) => [name, { passed: 0, skipped: 0, notApplicable: 0 }]),
    ) as SecurityReport['counts'],
  };
  const covered: { operation: ContractOperation; security: OperationSecurity<Tenant> }[] = [];
  for (const operation of operations) {
    const name = operationName(operation);
    const entry = lookup(suite.operations, operation);
    const publicReason = lookup(suite.public, operation);
    if (entry !== undefined && publicReason !== undefined) {
      problems.push(`${name}: listed both as public and as covered`);
    } else if (entry !== undefined) {
      const security = typeof entry === 'string' ? { scheme: entry } : entry;
      if (!suite.schemes[security.scheme]) {
        problems.push(`${name}: unknown scheme ${security.scheme}`);
        continue;
      }
      covered.push({ operation, security });
      report.covered[name] = security.scheme;
    } else if (publicReason !== undefined) {
      if (!publicReason.trim()) problems.push(`${name}: listed as public without a reason`);
      report.public[name] = publicReason;
    } else if (operation.security.kind === 'public') {
      report.public[name] = 'seed';
    } else {
      problems.push(
        `${name}: neither public nor covered by the security suite (the seed says ${operation.security.kind}${
          operation.security.schemes.length > 0 ? `: ${operation.security.schemes.join(', ')}` : ''
        })`,
      );
    }
  }
  if (problems.length > 0) fail(harness, problems);

  if (covered.length === 0) return report;
  const suiteOwner = await harness.tenant();
  const other = await harness.tenant();
  const resources = new Cache<string>();
  const revokedCredentials = new Cache<string>();
  const record = (result: SecurityCaseResult) => {
    report.results.push(result);
    const counts = report.counts[result.case];
    if (result.outcome === 'passed') counts.passed++;
    else if (result.outcome === 'skipped') counts.skipped++;
    else if (result.outcome === 'n/a') counts.notApplicable++;
    else problems.push(`${result.operation} ${result.case}: ${result.detail}`);
  };

  const send = async (operation: ContractOperation, url: string, patch: RequestPatch) => {
    const request: HarnessRequest = {
      method: operation.method,
      url,
      ...(patch.headers ? { headers: patch.headers } : {}),
      ...(patch.query ? { query: patch.query } : {}),
      ...(patch.payload ? { payload: patch.payload } : {}),
    };
    return harness.inject(request);
  };

  for (const { operation, security } of covered.sort((a, b) => runOrder(a.operation, b.operation))) {
    const name = operationName(operation);
    const own = security.ownTenant;
    const owner =
      own === undefined ? suiteOwner : typeof own === 'string' ? await harness.tenant() : await own.make();
    const scheme = suite.schemes[security.scheme] as SecurityScheme<Tenant>;
    const expected = { ...scheme.expect, ...security.expect };
    const skips = security.skip ?? {};
    let url: string;
    let base: RequestPatch;
    const names = pathParams(operation.template);
    try {
      const params: Record<string, string> = {};
      for (const param of names) {
        const fresh = security.params?.[param];
        const shared = suite.resources?.[param];
        if (fresh) params[param] = await fresh(owner, operation);
        else if (shared) params[param] = await resources.get(owner, param, () => shared(owner, operation));
        else throw new Error(`no resource factory for the path parameter {${param}}`);
      }
      url = fillTemplate(operation.template, params);
      base = (await security.request?.({ operation, tenant: owner, params })) ?? {};
    } catch (error) {
      record({ operation: name, case: 'control', outcome: 'failed', detail: (error as Error).message });
      continue;
    }

    const check = async (which: SecurityCase, patch: RequestPatch | undefined) => {
      if (skips[which]) {
        record({ operation: name, case: which, outcome: 'skipped', detail: skips[which] as string });
        return;
      }
      if (patch === undefined) return;
      const want = expectedOf(expected[which]);
      try {
        const response = await send(operation, url, merge(base, patch));
        const code = want.code === undefined ? undefined : suite.errorCode?.(response);
        const ok =
          response.statusCode === want.status &&
          (want.code === undefined || String(code) === String(want.code));
        record({
          operation: name,
          case: which,
          outcome: ok ? 'passed' : 'failed',
          detail: ok
            ? describeExpected(expected[which])
            : `expected ${describeExpected(expected[which])}, got ${response.statusCode}${
                code === undefined ? '' : ` ${code}`
              }: ${response.body.slice(0, 200)}`,
        });
      } catch (error) {
        record({ operation: name, case: which, outcome: 'failed', detail: (error as Error).message });
      }
    };

    await check('missing', {});
    await check('malformed', scheme.place(scheme.malformed, operation));
    if ('skip' in scheme.revoked) {
      record({ operation: name, case: 'revoked', outcome: 'skipped', detail: scheme.revoked.skip });
    } else {
      const revoke = scheme.revoked;
      await check(
        'revoked',
        skips.revoked
          ? {}
          : scheme.place(
              await revokedCredentials.get(owner, security.scheme, () => revoke(owner)),
              operation,
            ),
      );
    }
    if (names.length === 0) {
      record({ operation: name, case: 'foreign', outcome: 'n/a', detail: 'no resource id in the path' });
    } else {
      await check('foreign', scheme.place(await scheme.credential(other), operation));
    }

    if (skips.control) {
      record({ operation: name, case: 'control', outcome: 'skipped', detail: skips.control });
      continue;
    }
    try {
      const response = await send(
        operation,
        url,
        merge(base, scheme.place(await scheme.credential(owner), operation)),
      );
      const ok = response.statusCode >= 200 && response.statusCode < 400;
      record({
        operation: name,
        case: 'control',
        outcome: ok ? 'passed' : 'failed',
        detail: ok
          ? `owner: ${response.statusCode}`
          : `the owner's own request was not served (${response.statusCode}), so the refusals prove nothing (give the operation a valid request): ${response.body.slice(0, 200)}`,
      });
    } catch (error) {
      record({ operation: name, case: 'control', outcome: 'failed', detail: (error as Error).message });
    }
  }
  if (problems.length > 0) fail(harness, problems);
  return report;
}

function fail(harness: { contract: { name: string } }, problems: string[]): never {
  throw new AssertionError({
    message: `${harness.contract.name} security suite: ${problems.length} failure(s):\n  - ${problems.join('\n  - ')}`,
  });
}

/** One line per operation: its scheme and the outcome of each case (for the test's diagnostics). */
export function describeSecurityReport(report: SecurityReport): string {
  const counts = Object.entries(report.counts)
    .map(([name, count]) => {
      const aside = [
        count.skipped ? `${count.skipped} skipped` : '',
        count.notApplicable ? `${count.notApplicable} n/a` : '',
      ].filter(Boolean);
      return `${name} ${count.passed}${aside.length ? ` (${aside.join(', ')})` : ''}`;
    })
    .join(', ');
  const lines = [
    `${Object.keys(report.covered).length} operations covered, ${Object.keys(report.public).length} public; passed: ${counts}`,
  ];
  for (const [operation, scheme] of Object.entries(report.covered)) {
    const outcomes = report.results
      .filter((result) => result.operation === operation)
      .map((result) => `${result.case}=${result.outcome === 'passed' ? result.detail : result.outcome}`);
    lines.push(`${operation} [${scheme}] ${outcomes.join(' ')}`);
  }
  for (const [operation, reason] of Object.entries(report.public))
    lines.push(`${operation} public (${reason})`);
  return lines.join('\n');
}
