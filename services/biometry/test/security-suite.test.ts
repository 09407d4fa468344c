import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import {
  perTenant,
  type SecuritySuite,
  type ServiceHarness,
  securitySuiteTests,
} from '@trustplane/kernel/testkit';
import { type BiometryClient, bootBiometry, jobBody, runCommand } from './helpers.js';

let harness: ServiceHarness<BiometryClient>;
before(async () => {
  harness = await bootBiometry();
});
after(async () => {
  await harness?.close();
});

/** A job each client submitted (workers are off: it stays queued), the resource of GET /jobs/{job_id}. */
const jobOf = perTenant(async (client: BiometryClient) => {
  const response = await harness.inject({
    method: 'POST',
    url: '/jobs/submit',
    headers: { 'x-service-api-key': client.key },
    payload: jobBody(),
  });
  assert.equal(response.statusCode, 202, response.body);
  return response.json().job_id as string;
});

const detail = (response: { json(): unknown }) => {
  const body = response.json() as { detail?: unknown };
  // 422s carry FastAPI's detail[]: the code is the first item's type.
  return Array.isArray(body.detail) ? (body.detail[0] as { type?: string }).type : (body.detail as string);
};

const suite: SecuritySuite<BiometryClient> = {
  schemes: {
    // The client's API key in `X-Service-Api-Key`, minted and revoked with the operator CLI.
    apiKey: {
      credential: (client) => client.key,
      malformed: 'bio_notakey',
      async revoked() {
        const name = `revoked ${Date.now()}`;
        const { key } = (await runCommand(harness.booted, 'key create', { name })) as { key: string };
        const listed = (await runCommand(harness.booted, 'key list')) as {
          keys: { id: string; name: string }[];
        };
        const entry = listed.keys.find((candidate) => candidate.name === name);
        assert.ok(entry);
        await runCommand(harness.booted, 'key revoke', { id: entry.id });
        return key;
      },
      place: (credential) => ({ headers: { 'x-service-api-key': credential } }),
      expect: {
        // FastAPI's missing required header: the seed's 422, located at the header.
        missing: { status: 422, code: 'missing' },
        malformed: { status: 401, code: 'Invalid or revoked API key' },
        revoked: { status: 401, code: 'Invalid or revoked API key' },
        // Another client's job: not disclosed (README).
        foreign: { status: 404, code: 'Job not found' },
      },
    },
  },
  operations: {
    submit_job_jobs_submit_post: { scheme: 'apiKey', request: () => ({ payload: jobBody() }) },
    submit_batch_jobs_submit_batch_post: {
      scheme: 'apiKey',
      request: () => ({ payload: { jobs: [jobBody()] } }),
    },
    poll_results_jobs_results_get: 'apiKey',
    ack_results_jobs_ack_post: {
      scheme: 'apiKey',
      request: async ({ tenant }) => ({ payload: { job_ids: [await jobOf(tenant)] } }),
    },
    get_job_status_jobs__job_id__get: 'apiKey',
  },
  // The seed (FastAPI) states no security at all; these three are open by the README's decision.
  public: {
    home__get: 'the home page links the docs',
    health_health_get: 'a load balancer probes it without a key',
    version_version_get: 'the version and model versions are not secret',
  },
  resources: { job_id: jobOf },
  errorCode: detail,
};

securitySuiteTests(() => harness, suite, {
  covered: 5,
  public: ['home__get', 'health_health_get', 'version_version_get'],
});
