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
 * and, for each of the scheme's `refusals` (an expired credential, a role or scope too weak for the
 * operation, a caller outside an allowlist…), the request that refusal makes;
 * and expects the status (and code) the service's seed gives for each. Then, as the control that
 * makes the refusals mean something, the same request with the owner's valid credential must
 * succeed (2xx or 3xx): a 4xx would leave open whether the credential passed authentication at
 * all, so every operation's request has to be one the service serves. An operation that is
 * neither public nor covered (nor `deferred`, left to later work with a reason) fails the suite,
 * as does an entry naming no seed operation. An operation may be covered by several schemes (a
 * session cookie and an API key): every case and the control run once per scheme.
 */

export type SecurityCase = 'missing' | 'malformed' | 'revoked' | 'foreign';
const CASES: readonly SecurityCase[] = ['missing', 'malformed', 'revoked', 'foreign'];

/** A status, or a status and the error code the body must carry (read by `SecuritySuite.errorCode`). */
export type Expected = number | { status: number; code?: string | number };

/** A case or check left out on purpose, with why (shown in the report). */
export interface Skip {
  skip: string;
}

/** A refusal that has nothing to prove on an operation (no weaker role than the one it needs), with why. */
export interface NotApplicable {
  notApplicable: string;
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
  /**
   * Further requests of the tenant's the service must refuse on every operation of the scheme, by
   * name (`expired`, `role`, `scope`, `ipAllowlist`…): each case's result is reported under its name.
   */
  refusals?: Record<string, Refusal<Tenant>>;
}

export interface Refusal<Tenant> {
  /**
   * What makes the owner's request one to refuse on this operation (a credential in `place`, a
   * header), or why the refusal does not apply to it.
   */
  request(
    context: Omit<OperationContext<Tenant>, 'params'>,
  ): RequestPatch | NotApplicable | Promise<RequestPatch | NotApplicable>;
  expect: Expected;
  /**
   * Runs the request in the state the case needs (a clock moved past a credential's expiry) and
   * restores it afterwards.
   */
  around?: <T>(send: () => Promise<T>) => Promise<T>;
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
  /** The scheme (or schemes: each runs every case and its own control) the operation accepts. */
  scheme: string | readonly string[];
  /** This operation's answers where they differ from the scheme's (a 403 the seed documents here). */
  expect?: Partial<Record<SecurityCase | (string & {}), Expected>>;
  /** Cases (built-in or a scheme's refusals) that do not apply to this operation, with why. */
  skip?: Partial<Record<SecurityCase | 'control' | (string & {}), string>>;
  /** The rest of the owner's valid request (body, query). */
  request?: (context: OperationContext<Tenant>) => RequestPatch | Promise<RequestPatch>;
  /**
   * The operation changes its caller's own credentials or standing (logout, a password change,
   * leaving an organization): it runs with an owner tenant of its own, so the others keep theirs.
   * The value says why; with `make`, that owner is made by it rather than by the harness's tenant
   * factory (an owner the operation needs in a particular state, such as a member of a team).
   */
  ownTenant?: string | { why: string; make: () => Promise<Tenant> };
  /** Path parameters made fresh for this operation and each of its schemes (not shared), e.g. what it deletes. */
  params?: Record<string, ResourceFactory<Tenant>>;
}

export interface SecuritySuite<Tenant> {
  schemes: Record<string, SecurityScheme<Tenant>>;
  /** Each operation the service authenticates (operationId or `METHOD template`) and its scheme(s). */
  operations: Record<string, string | readonly string[] | OperationSecurity<Tenant>>;
  /** Operations answered without credentials that the seed does not mark public, each with why. */
  public?: Record<string, string>;
  /** Seed operations (`METHOD template`) the service does not serve yet (other work builds them), each with why. */
  deferred?: Record<string, string>;
  /** A tenant's resource for each path parameter name, made through the API; made once per tenant. */
  resources?: Record<string, ResourceFactory<Tenant>>;
  /** The error code of a refusal, for expectations that name one. */
  errorCode?: (response: LightMyRequestResponse) => string | number | undefined;
}

export interface SecurityCaseResult {
  operation: string;
  scheme: string;
  /** A built-in case, `control`, or the name of one of the scheme's refusals. */
  case: string;
  /** `n/a`: the case does not apply (no resource id in the path); `skipped`: left out with a reason. */
  outcome: 'passed' | 'failed' | 'skipped' | 'n/a';
  detail: string;
}

export interface SecurityReport {
  /** Covered operations, with their scheme. */
  covered: Record<string, string>;
  /** Public operations, with why (`seed` when the seed says so). */
  public: Record<string, string>;
  /** Operations left out as `deferred`, with why. */
  deferred: Record<string, string>;
  results: SecurityCaseResult[];
  /** Requests sent and passed, per case (built-in, control, and each refusal by its name). */
  counts: Record<SecurityCase | 'control', CaseCount> & Partial<Record<string, CaseCount>>;
}

export interface CaseCount {
  passed: number;
  skipped: number;
  notApplicable: number;
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
  for (const key of [
    ...Object.keys(suite.operations),
    ...Object.keys(suite.public ?? {}),
    ...Object.keys(suite.deferred ?? {}),
  ]) {
    if (!known.has(key)) problems.push(`${key}: names no operation of the ${harness.contract.name} seed`);
  }

  const report: SecurityReport = {
    covered: {},
    public: {},
    deferred: {},
    results: [],
    counts: Object.fromEntries(
      [...CASES, 'control'].map((name) => [name, { passed: 0, skipped: 0, notApplicable: 0 }]),
    ) as SecurityReport['counts'],
  };
  const covered: {
    operation: ContractOperation;
    security: OperationSecurity<Tenant>;
    schemes: readonly string[];
  }[] = [];
  for (const operation of operations) {
    const name = operationName(operation);
    const entry = lookup(suite.operations, operation);
    const publicReason = lookup(suite.public, operation);
    const deferredReason = lookup(suite.deferred, operation);
    const listings = [entry, publicReason, deferredReason].filter((listed) => listed !== undefined).length;
    if (listings > 1) {
      problems.push(`${name}: listed more than once among covered, public and deferred`);
    } else if (entry !== undefined) {
      const security: OperationSecurity<Tenant> =
        typeof entry === 'string' || Array.isArray(entry)
          ? { scheme: entry as string | readonly string[] }
          : (entry as OperationSecurity<Tenant>);
      const schemes = typeof security.scheme === 'string' ? [security.scheme] : security.scheme;
      const unknown = schemes.filter((scheme) => !suite.schemes[scheme]);
      if (unknown.length > 0 || schemes.length === 0) {
        problems.push(`${name}: unknown scheme ${unknown.join(', ') || '(none given)'}`);
        continue;
      }
      covered.push({ operation, security, schemes });
      report.covered[name] = schemes.join(', ');
    } else if (deferredReason !== undefined) {
      if (!deferredReason.trim()) problems.push(`${name}: listed as deferred without a reason`);
      report.deferred[name] = deferredReason;
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
    report.counts[result.case] ??= { passed: 0, skipped: 0, notApplicable: 0 };
    const counts = report.counts[result.case] as CaseCount;
    if (result.outcome === 'passed') counts.passed++;
    else if (result.outcome === 'skipped') counts.skipped++;
    else if (result.outcome === 'n/a') counts.notApplicable++;
    else problems.push(`${result.operation} ${result.case} [${result.scheme}]: ${result.detail}`);
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

  for (const { operation, security, schemes } of covered.sort((a, b) => runOrder(a.operation, b.operation))) {
    const name = operationName(operation);
    const own = security.ownTenant;
    const owner =
      own === undefined ? suiteOwner : typeof own === 'string' ? await harness.tenant() : await own.make();
    const skips = security.skip ?? {};
    const names = pathParams(operation.template);
    for (const schemeName of schemes) {
      const scheme = suite.schemes[schemeName] as SecurityScheme<Tenant>;
      // Fresh parameters are made for each scheme: the control of one may delete what it names.
      let url: string;
      let base: RequestPatch;
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
        record({
          operation: name,
          scheme: schemeName,
          case: 'control',
          outcome: 'failed',
          detail: (error as Error).message,
        });
        continue;
      }
      const expected: Record<string, Expected> = {
        ...scheme.expect,
        ...Object.fromEntries(
          Object.entries(scheme.refusals ?? {}).map(([refusal, { expect }]) => [refusal, expect]),
        ),
        ...(security.expect as Record<string, Expected> | undefined),
      };
      const result = (which: string, outcome: SecurityCaseResult['outcome'], detail: string) =>
        record({ operation: name, scheme: schemeName, case: which, outcome, detail });

      const check = async (
        which: string,
        patch: RequestPatch | undefined,
        around: <T>(send: () => Promise<T>) => Promise<T> = (send) => send(),
      ) => {
        if (skips[which]) {
          result(which, 'skipped', skips[which] as string);
          return;
        }
        if (patch === undefined) return;
        const want = expectedOf(expected[which] as Expected);
        try {
          const response = await around(() => send(operation, url, merge(base, patch)));
          const code = want.code === undefined ? undefined : suite.errorCode?.(response);
          const ok =
            response.statusCode === want.status &&
            (want.code === undefined || String(code) === String(want.code));
          result(
            which,
            ok ? 'passed' : 'failed',
            ok
              ? describeExpected(want)
              : `expected ${describeExpected(want)}, got ${response.statusCode}${
                  code === undefined ? '' : ` ${code}`
                }: ${response.body.slice(0, 200)}`,
          );
        } catch (error) {
          result(which, 'failed', (error as Error).message);
        }
      };

      await check('missing', {});
      await check('malformed', scheme.place(scheme.malformed, operation));
      if ('skip' in scheme.revoked) {
        result('revoked', 'skipped', scheme.revoked.skip);
      } else {
        const revoke = scheme.revoked;
        await check(
          'revoked',
          skips.revoked
            ? {}
            : scheme.place(await revokedCredentials.get(owner, schemeName, () => revoke(owner)), operation),
        );
      }
      if (names.length === 0) {
        result('foreign', 'n/a', 'no resource id in the path');
      } else {
        await check('foreign', scheme.place(await scheme.credential(other), operation));
      }
      for (const [refusalName, refusal] of Object.entries(scheme.refusals ?? {})) {
        if (skips[refusalName]) {
          result(refusalName, 'skipped', skips[refusalName] as string);
          continue;
        }
        let patch: RequestPatch | NotApplicable;
        try {
          patch = await refusal.request({ operation, tenant: owner });
        } catch (error) {
          result(refusalName, 'failed', (error as Error).message);
          continue;
        }
        if ('notApplicable' in patch) result(refusalName, 'n/a', patch.notApplicable);
        else await check(refusalName, patch, refusal.around);
      }

      if (skips.control) {
        result('control', 'skipped', skips.control);
        continue;
      }
      try {
        const response = await send(
          operation,
          url,
          merge(base, scheme.place(await scheme.credential(owner), operation)),
        );
        const ok = response.statusCode >= 200 && response.statusCode < 400;
        result(
          'control',
          ok ? 'passed' : 'failed',
          ok
            ? `owner: ${response.statusCode}`
            : `the owner's own request was not served (${response.statusCode}), so the refusals prove nothing (give the operation a valid request): ${response.body.slice(0, 200)}`,
        );
      } catch (error) {
        result('control', 'failed', (error as Error).message);
      }
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
  const counts = (Object.entries(report.counts) as [string, CaseCount][])
    .map(([name, count]) => {
      const aside = [
        count.skipped ? `${count.skipped} skipped` : '',
        count.notApplicable ? `${count.notApplicable} n/a` : '',
      ].filter(Boolean);
      return `${name} ${count.passed}${aside.length ? ` (${aside.join(', ')})` : ''}`;
    })
    .join(', ');
  const lines = [
    `${Object.keys(report.covered).length} operations covered, ${Object.keys(report.public).length} public, ${Object.keys(report.deferred).length} deferred; passed: ${counts}`,
  ];
  for (const [operation, scheme] of Object.entries(report.covered)) {
    for (const one of scheme.split(', ')) {
      const outcomes = report.results
        .filter((result) => result.operation === operation && result.scheme === one)
        .map((result) => `${result.case}=${result.outcome === 'passed' ? result.detail : result.outcome}`);
      lines.push(`${operation} [${one}] ${outcomes.join(' ')}`);
    }
  }
  for (const [operation, reason] of Object.entries(report.public))
    lines.push(`${operation} public (${reason})`);
  for (const [operation, reason] of Object.entries(report.deferred))
    lines.push(`${operation} deferred (${reason})`);
  return lines.join('\n');
}
