import { AssertionError } from 'node:assert';
import fs from 'node:fs';
import {
  type BootedService,
  type BootOptions,
  Contract,
  eventually,
  type ResponseCheck,
  type ServiceHarness,
  serviceHarness,
} from '@trustplane/kernel/testkit';
import { biometryService } from '../src/index.js';

export const contract = Contract.forService(biometryService);

/**
 * The seed (FastAPI's) documents only 2xx and 422; the 401 of a bad key and the 404 of an unknown
 * job are the README's decision, in FastAPI's `{"detail": "…"}` shape, and are checked as that.
 */
export const checkBiometryResponse: ResponseCheck = (request, response, seed) => {
  if (response.statusCode === 401 || response.statusCode === 404) {
    const body = response.json() as { detail?: unknown };
    if (typeof body.detail !== 'string' || Object.keys(body).length !== 1) {
      throw new AssertionError({
        message: `${request.method} ${request.path} ${response.statusCode}: expected {"detail": string}, got ${response.body}`,
      });
    }
    return;
  }
  seed.assertResponse(request.method, request.path, {
    statusCode: response.statusCode,
    headers: response.headers,
    body: response.rawPayload,
  });
};

/** A biometry client: the key `trustplane biometry key create` printed, and its callback secret. */
export interface BiometryClient {
  key: string;
  callbackSecret: string;
}

/** biometry on the kernel's `serviceHarness`: a client (tenant) is a key minted by the operator CLI. */
export function bootBiometry(boot: BootOptions = {}): Promise<ServiceHarness<BiometryClient>> {
  return serviceHarness<BiometryClient>(biometryService, {
    contract,
    boot,
    checkResponse: checkBiometryResponse,
    tenant: (harness) => mintClient(harness.booted, `client ${Math.random().toString(36).slice(2, 8)}`),
  });
}

export const DOCS_DIR = new URL('../../../packages/vision/test/documents/', import.meta.url);
export const FACES_DIR = new URL('../../../../shared/fixtures/faces/', import.meta.url);

export function b64(url: URL): string {
  return fs.readFileSync(url).toString('base64');
}

export async function runCommand(
  booted: BootedService,
  path: string,
  options: Record<string, string | boolean> = {},
): Promise<Record<string, unknown>> {
  const command = biometryService.commands?.find((candidate) => candidate.path.join(' ') === path);
  if (!command) throw new Error(`no ${path} command`);
  return command.run(booted.context, { ...options, json: true });
}

/** `trustplane biometry key create --json`: the key and its callback secret, both shown once. */
export async function mintClient(
  booted: BootedService,
  name = 'test',
): Promise<{ key: string; callbackSecret: string }> {
  const result = await runCommand(booted, 'key create', { name });
  return { key: String(result.key), callbackSecret: String(result.callbackSecret) };
}

export async function mintKey(booted: BootedService, name = 'test'): Promise<string> {
  return (await mintClient(booted, name)).key;
}

export function jobBody(overrides: Record<string, unknown> = {}) {
  return {
    citizen_code: 'CIT-001',
    document_type: 'CNI',
    country_code: 'FR',
    selfie_b64: b64(new URL('eileen_collins_nasa.jpg', FACES_DIR)),
    cni_recto_b64: b64(new URL('td1-fra-dupre-recto.jpg', DOCS_DIR)),
    cni_verso_b64: b64(new URL('td1-fra-dupre-verso.jpg', DOCS_DIR)),
    declared_identity: {
      first_name: 'Élodie Marie',
      last_name: 'Dupré',
      date_of_birth: '1990-02-14',
      gender: 'F',
      nationality: 'FR',
    },
    ...overrides,
  };
}

/**
 * How long a test waits for jobs to be processed before it gives up: verifications on a shared,
 * loaded machine take minutes, not seconds. Only keeps a broken test from hanging.
 */
export const JOB_DEADLINE_MS = 300_000;

/** A job result as `GET /jobs/results` returns it (the fields the tests read). */
export interface JobResult {
  job_id: string;
  outcome: string;
  failure_reason: string | null;
  scores: Record<string, unknown>;
  cross_validations: Record<string, { passed: boolean; found: string | null }>;
}

/** Polls `GET /jobs/results` (each answer checked against the seed) until every job of `jobIds` has its result; returns them in that order. */
export function awaitJobResults<const Ids extends readonly string[]>(
  booted: BootedService,
  key: string,
  jobIds: Ids,
): Promise<{ [Index in keyof Ids]: JobResult }> {
  return eventually(
    async () => {
      const response = await booted.app.inject({
        method: 'GET',
        url: '/jobs/results?limit=100',
        headers: { 'x-service-api-key': key },
      });
      contract.assertResponse('GET', '/jobs/results', response);
      const byId = new Map((response.json().results as JobResult[]).map((result) => [result.job_id, result]));
      const results = jobIds.map((jobId) => byId.get(jobId));
      return results.every(Boolean) ? (results as { [Index in keyof Ids]: JobResult }) : undefined;
    },
    'the job results',
    JOB_DEADLINE_MS,
    100,
  );
}
