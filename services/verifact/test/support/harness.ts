import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  bootService,
  Contract,
  harnessFor,
  type ResponseCheck,
  type ServiceHarness,
  type TestDatabase,
} from '@trustplane/kernel/testkit';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { type VerifactDeps, verifactDeps, verifactService } from '../../src/index.js';

export const contract = Contract.forService(verifactService);
export const FIXTURES = new URL('../../../../../shared/fixtures/c2pa/', import.meta.url);
export const TRUST_ANCHORS = new URL('certs/test_cert_root_bundle.pem', FIXTURES).pathname;

/** Environment every test boots with (read by the service's config at composition). */
export function testEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    VERIFACT_TRUST_ANCHORS: TRUST_ANCHORS,
    VERIFACT_VERIFIER_PROCESSES: '1',
    ...extra,
  };
}

export interface MultipartPart {
  name: string;
  value: string | Buffer;
  filename?: string;
  contentType?: string;
}

export function multipart(parts: MultipartPart[]): { payload: Buffer; headers: Record<string, string> } {
  const boundary = `----verifact${randomBytes(8).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const part of parts) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"`;
    if (part.filename !== undefined) head += `; filename="${part.filename}"`;
    head += '\r\n';
    if (part.contentType) head += `Content-Type: ${part.contentType}\r\n`;
    chunks.push(
      Buffer.from(`${head}\r\n`),
      Buffer.isBuffer(part.value) ? part.value : Buffer.from(part.value),
    );
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return {
    payload: Buffer.concat(chunks),
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  };
}

export interface TestTenant {
  code: string;
  id: string;
  /** Mints a key through `trustplane verifact key create`. */
  key(scopes?: string, options?: { dailyLimit?: number }): Promise<string>;
  /** Creates a user through POST /api/v1/users and returns its id. */
  user(role?: 'surveyor' | 'adjuster' | 'siu', overrides?: Record<string, unknown>): Promise<string>;
  /** Creates a claim (and a surveyor when none is given) through POST /api/v1/claims. */
  claim(
    overrides?: Record<string, unknown>,
  ): Promise<{ id: string; claimNumber: string; body: Record<string, unknown> }>;
  admin: string;
}

let sequence = 0;

/** verifact's test harness: the kernel's `serviceHarness` (boot, contract-checked inject) plus verifact's journeys. */
export class Harness {
  readonly service: ServiceHarness<TestTenant>;

  constructor(booted: Awaited<ReturnType<typeof bootService>>) {
    this.service = harnessFor<TestTenant>(booted, {
      contract,
      checkResponse: checkVerifactResponse,
      tenant: () => this.tenant(),
    });
  }

  get booted() {
    return this.service.booted;
  }

  /** `database`: boot on that database (another process of the same deployment), left in place on close. */
  static async boot(
    env: Record<string, string> = {},
    options: { workers?: boolean; databaseOutage?: boolean; database?: TestDatabase } = {},
  ): Promise<Harness> {
    const { workers, databaseOutage, database } = options;
    return new Harness(
      await bootService(verifactService, { env: testEnv(env), workers, databaseOutage, database }),
    );
  }

  get app() {
    return this.booted.app;
  }

  close() {
    return this.booted.close();
  }

  async command(
    path: string,
    options: Record<string, string | boolean> = {},
  ): Promise<Record<string, unknown>> {
    const command = verifactService.commands?.find((candidate) => candidate.path.join(' ') === path);
    if (!command) throw new Error(`no ${path} command`);
    return command.run(this.booted.context, { ...options, json: true });
  }

  /**
   * Injects and checks the response against seed 002: the documented response of the
   * operation, or (for the 400s the seed does not list, see the README) its `Error` schema.
   */
  async call(
    options: InjectOptions & { key?: string; skipContract?: boolean },
  ): Promise<LightMyRequestResponse> {
    const { key, ...inject } = options;
    if (key) inject.headers = { authorization: `Bearer ${key}`, ...inject.headers };
    return this.service.inject({
      ...inject,
      method: String(inject.method ?? 'GET'),
      url: String(inject.url),
    });
  }

  async tenant(settings: Record<string, string> = {}): Promise<TestTenant> {
    sequence += 1;
    const code = `T${process.pid}_${sequence}_${randomBytes(2).toString('hex').toUpperCase()}`.slice(0, 32);
    const created = (await this.command('tenant create', {
      code,
      name: `Insurer ${code}`,
      pricePerClaim: '150',
      ...settings,
    })) as { tenant: { id: string } };
    const harness = this;
    const key = async (scopes = 'admin', options: { dailyLimit?: number } = {}) => {
      const minted = await harness.command('key create', {
        tenant: code,
        scopes,
        ...(options.dailyLimit !== undefined ? { dailyLimit: String(options.dailyLimit) } : {}),
      });
      return String(minted.key);
    };
    const admin = await key('admin', { dailyLimit: 100_000 });
    const tenant: TestTenant = {
      code,
      id: created.tenant.id,
      key,
      admin,
      async user(role = 'surveyor', overrides = {}) {
        sequence += 1;
        const response = await harness.call({
          method: 'POST',
          url: '/api/v1/users',
          key: admin,
          payload: {
            email: `user${sequence}-${randomBytes(3).toString('hex')}@example.com`,
            name: `User ${sequence}`,
            role,
            ...(role === 'surveyor' ? { surveyorLicense: `IRDAI/${sequence}` } : {}),
            ...overrides,
          },
        });
        assert.equal(response.statusCode, 201, response.body);
        return response.json().id as string;
      },
      async claim(overrides = {}) {
        sequence += 1;
        const surveyorId = (overrides.surveyorId as string | undefined) ?? (await tenant.user('surveyor'));
        const claimNumber =
          (overrides.claimNumber as string | undefined) ??
          `CLM-${sequence}-${randomBytes(3).toString('hex')}`;
        const response = await harness.call({
          method: 'POST',
          url: '/api/v1/claims',
          key: admin,
          payload: {
            claimNumber,
            policyNumber: `POL-${sequence}`,
            claimType: 'motor',
            district: 'Pune',
            surveyorId,
            ...overrides,
          },
        });
        assert.equal(response.statusCode, 201, response.body);
        const body = response.json().claim as Record<string, unknown>;
        return { id: String(body.id), claimNumber, body };
      },
    };
    return tenant;
  }

  /** The composition behind the app (for reading state a client cannot see, like the outbox). */
  deps(): VerifactDeps {
    return verifactDeps(this.booted.context);
  }
}

const checkVerifactResponse: ResponseCheck = (request, response) =>
  checkContract(request.method, request.path, response);

export function checkContract(method: string, url: string, response: LightMyRequestResponse): void {
  const path = url.split('?')[0] as string;
  const result = contract.validateResponse(method, path, {
    statusCode: response.statusCode,
    headers: response.headers,
    body: response.body,
  });
  if (result.ok) return;
  const undocumented = result.errors.every((line) => line.includes('is not documented'));
  if (undocumented && decidedStatus(method, path, response.statusCode)) {
    // A status the seed does not list for this operation (decided in the README): still its `Error`.
    contract.assertSchema('#/components/schemas/Error', response.json());
    return;
  }
  contract.assertResponse(method, path, {
    statusCode: response.statusCode,
    headers: response.headers,
    body: response.body,
  });
}

/** Statuses the seed does not list but the service answers by decision (README, "Seed ambiguities"). */
function decidedStatus(method: string, path: string, status: number): boolean {
  if (status === 400) return true;
  const route = `${method.toUpperCase()} ${path.replace(/\/(clm|usr|pho|trg)_[A-Za-z0-9]+/, '/{id}')}`;
  if (route === 'PATCH /api/v1/users/{id}') return status === 403;
  if (route === 'POST /api/v1/claims') return status === 404 || status === 422;
  return false;
}
