import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { perTenant, type SecuritySuite, securitySuiteTests } from '@trustplane/kernel/testkit';
import { fixture, signCapture } from './support/captures.js';
import { Harness, type MultipartPart, multipart, type TestTenant } from './support/harness.js';

let h: Harness;
before(async () => {
  h = await Harness.boot();
});
after(() => h?.close());

const claimOf = perTenant(async (tenant: TestTenant) => (await tenant.claim()).id);
const userOf = perTenant((tenant: TestTenant) => tenant.user('adjuster'));
const photoOf = perTenant(async (tenant: TestTenant) => {
  const response = await h.call({
    method: 'POST',
    url: '/api/v1/photos',
    key: tenant.admin,
    ...multipart([
      { name: 'claimId', value: await claimOf(tenant) },
      { name: 'photo', value: fixture('C.jpg'), filename: 'site.jpg', contentType: 'image/jpeg' },
    ]),
  });
  assert.equal(response.statusCode, 201, response.body);
  return response.json().photoId as string;
});
const triageOf = perTenant(async (tenant: TestTenant) => {
  const response = await h.call({
    method: 'POST',
    url: '/api/v1/triage',
    key: tenant.admin,
    ...multipart([
      { name: 'claimId', value: await claimOf(tenant) },
      { name: 'photo', value: signCapture(), filename: 'p.jpg' },
    ]),
  });
  assert.equal(response.statusCode, 200, response.body);
  return response.json().id as string;
});

const surveyorOf = perTenant((tenant: TestTenant) => tenant.user('surveyor'));

/** A photo upload's multipart body (its content type header travels with it). */
const photoForm = (parts: MultipartPart[] = []) =>
  multipart([
    ...parts,
    { name: 'photo', value: fixture('C.jpg'), filename: 'site.jpg', contentType: 'image/jpeg' },
  ]);

let sequence = 0;
const unique = (prefix: string) => `${prefix}-${process.pid}-${++sequence}`;

const unauthorized = { status: 401, code: 'UNAUTHORIZED' };

const suite: SecuritySuite<TestTenant> = {
  schemes: {
    // The tenant's API key (`trustplane verifact key create`) as `Authorization: Bearer`.
    apiKey: {
      credential: (tenant) => tenant.admin,
      malformed: 'tm_pilot_nope',
      async revoked(tenant) {
        const key = await tenant.key('admin');
        const listed = (await h.command('key list', { tenant: tenant.code })) as {
          keys: { id: string; prefix: string }[];
        };
        const matching = listed.keys.filter((entry) => key.startsWith(entry.prefix));
        // The newest key with that display prefix is the one just made.
        const id = matching.at(-1)?.id;
        assert.ok(id);
        await h.command('key revoke', { id });
        return key;
      },
      place: (credential) => ({ headers: { authorization: `Bearer ${credential}` } }),
      expect: {
        missing: unauthorized,
        malformed: unauthorized,
        revoked: unauthorized,
        // Another insurer's claim, photo, user or triage: not disclosed (seed: 404).
        foreign: 404,
      },
    },
  },
  operations: {
    verifyPhoto: { scheme: 'apiKey', request: () => photoForm() },
    triagePhoto: {
      scheme: 'apiKey',
      request: async ({ tenant }) => photoForm([{ name: 'claimId', value: await claimOf(tenant) }]),
    },
    getTriageResult: { scheme: 'apiKey', params: { id: triageOf } },
    listClaims: 'apiKey',
    createClaim: {
      scheme: 'apiKey',
      request: async ({ tenant }) => ({
        payload: {
          claimNumber: unique('CLM'),
          policyNumber: unique('POL'),
          claimType: 'motor',
          district: 'Pune',
          surveyorId: await surveyorOf(tenant),
        },
      }),
    },
    getClaim: { scheme: 'apiKey', params: { id: claimOf } },
    updateClaimStatus: {
      scheme: 'apiKey',
      // A claim of its own: the shared one is triaged (and may be flagged), and pending moves to review.
      params: { id: async (tenant) => (await tenant.claim()).id },
      request: () => ({ payload: { status: 'under_review' } }),
    },
    uploadPhoto: {
      scheme: 'apiKey',
      request: async ({ tenant }) => photoForm([{ name: 'claimId', value: await claimOf(tenant) }]),
    },
    getReport: { scheme: 'apiKey', params: { id: claimOf } },
    getSurveyorJobs: {
      scheme: 'apiKey',
      request: async ({ tenant }) => ({ query: { surveyorId: await surveyorOf(tenant) } }),
    },
    getUsage: 'apiKey',
    downloadPhoto: { scheme: 'apiKey', params: { id: photoOf } },
    getPlan: 'apiKey',
    listUsers: 'apiKey',
    createUser: {
      scheme: 'apiKey',
      request: () => ({
        payload: { email: `${unique('suite')}@example.com`, name: 'Suite Adjuster', role: 'adjuster' },
      }),
    },
    getUser: { scheme: 'apiKey', params: { id: userOf } },
    updateUser: {
      scheme: 'apiKey',
      params: { id: userOf },
      request: () => ({ payload: { name: 'Renamed' } }),
    },
  },
  errorCode: (response) => (response.json() as { code?: string }).code,
};

securitySuiteTests(() => h.service, suite, { covered: 17, public: ['getAttestationKey'] });
