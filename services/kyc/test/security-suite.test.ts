import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { perTenant, type SecuritySuite, securitySuiteTests } from '@trustplane/kernel/testkit';
import { greenSeries, Harness, type KycTenant, LIVE_LANDMARKS, PASSWORD, sha256 } from './helpers.js';

let h: Harness;
before(async () => {
  h = await Harness.boot();
});
after(async () => {
  await h?.close();
});

const errorCode = (response: { json(): unknown }) => (response.json() as { error?: string }).error;

/** Each tenant's verification session (the resource of the end-user routes), made with its secret key. */
const sessionOf = perTenant((tenant: KycTenant) => h.session(tenant.sk));

/** A captured session of the tenant and its document asset (the resource of `reanalyze`). */
const captureOf = perTenant(async (tenant: KycTenant) => {
  const { sessionId } = await h.completedCapture(tenant.sk);
  const detail = await h.call({
    method: 'GET',
    url: `/api/dashboard/verifications/${sessionId}`,
    headers: { cookie: tenant.cookie },
  });
  const asset = (detail.json() as { assets: { id: string; side: string }[] }).assets.find(
    (entry) => entry.side === 'single',
  );
  assert.ok(asset, detail.body);
  return { sessionId, assetId: asset.id };
});

/**
 * The tenant's session with its document capture complete: the suite's upload-complete control
 * sent the passport; liveness comes after the proof of address, uploaded here once.
 */
const captureComplete = perTenant(async (tenant: KycTenant) => {
  const { sessionId, token } = await sessionOf(tenant);
  const poa = await h.upload(
    sessionId,
    token,
    'poa',
    Buffer.from(`%PDF-1.4 ${Date.now()}`),
    'application/pdf',
  );
  assert.equal(poa.statusCode, 200, poa.body);
  return { sessionId, token };
});

/** A liveness challenge started on the tenant's session (POST …/liveness/init): its requestId. */
async function livenessRequest(tenant: KycTenant): Promise<string> {
  const { sessionId, token } = await captureComplete(tenant);
  const init = await h.call({
    method: 'POST',
    url: `/api/verification/sessions/${sessionId}/liveness/init`,
    headers: { 'x-verification-token': token },
  });
  assert.equal(init.statusCode, 201, init.body);
  return init.json().requestId;
}

const HEADER_TOKEN = new Set(['getVerificationSession', 'initVerificationLiveness']);
// The seed's body schema requires `token`: a body without it is its 400.
const bodyTokenMissing = { missing: { status: 400, code: 'VALIDATION_ERROR' } };

const cookieOf = (value: string) => ({ headers: { cookie: `kyc_session=${value}` } });

const suite: SecuritySuite<KycTenant> = {
  schemes: {
    // Dashboard operators: the signed `kyc_session` cookie from POST /api/auth/login.
    operator: {
      credential: (tenant) => tenant.cookie.replace(/^kyc_session=/, ''),
      malformed: 'not-a-signed-session',
      async revoked(tenant) {
        const login = await h.call({
          method: 'POST',
          url: '/api/auth/login',
          payload: { email: tenant.email, password: PASSWORD },
        });
        const cookie = login.cookies.find((entry) => entry.name === 'kyc_session');
        assert.ok(cookie, login.body);
        const logout = await h.call({ method: 'POST', url: '/api/auth/logout', ...cookieOf(cookie.value) });
        assert.equal(logout.statusCode, 200, logout.body);
        return cookie.value;
      },
      place: (credential) => cookieOf(credential),
      expect: {
        missing: { status: 401, code: 'UNAUTHENTICATED' },
        malformed: { status: 401, code: 'UNAUTHENTICATED' },
        revoked: { status: 401, code: 'UNAUTHENTICATED' },
        // Another organization's verification: non-disclosure (README, "403 / 404 codes").
        foreign: { status: 404, code: 'VERIFICATION_SESSION_NOT_FOUND' },
      },
    },
    // Server-to-server: the tenant's secret key.
    secretKey: {
      credential: (tenant) => tenant.sk,
      malformed: 'sk_test_notakey',
      async revoked(tenant) {
        const pair = await h.keys(tenant.cookie, tenant.organizationId);
        const revoke = await h.call({
          method: 'DELETE',
          url: `/api/dashboard/organizations/${tenant.organizationId}/api-keys/${pair.body.secret.summary.id}`,
          headers: { cookie: tenant.cookie },
        });
        assert.equal(revoke.statusCode, 200, revoke.body);
        return pair.sk;
      },
      place: (credential) => ({ headers: { authorization: `Bearer ${credential}` } }),
      expect: {
        missing: { status: 401, code: 'API_KEY_MISSING' },
        malformed: { status: 401, code: 'API_KEY_INVALID' },
        revoked: { status: 401, code: 'API_KEY_INVALID' },
        foreign: 401,
      },
    },
    // The end user: the session's verification token, where the seed puts it: the body's required
    // `token`, or (routes without a body) `X-Verification-Token` as the hosted page sends it.
    verificationToken: {
      credential: async (tenant) => (await sessionOf(tenant)).token,
      malformed: 'not-a-token',
      revoked: {
        skip: 'a verification token is never revoked: it ends with its session (410, sessions.test.ts)',
      },
      place: (credential, operation) =>
        HEADER_TOKEN.has(operation.operationId ?? '')
          ? { headers: { 'x-verification-token': credential } }
          : { payload: { token: credential } },
      expect: {
        missing: { status: 401, code: 'VERIFICATION_INVALID_TOKEN' },
        malformed: { status: 401, code: 'VERIFICATION_INVALID_TOKEN' },
        revoked: 401,
        // Another session's token on this session: the wrong token for it.
        foreign: { status: 401, code: 'VERIFICATION_INVALID_TOKEN' },
      },
    },
  },
  operations: {
    listOrganizations: 'operator',
    createOrganization: {
      scheme: 'operator',
      request: () => ({
        payload: { customerId: `cust-${Date.now()}`, legalEmail: 'legal@example.com', displayName: 'Acme' },
      }),
    },
    createVerificationSession: 'secretKey',
    getVerificationSession: 'verificationToken',
    patchVerificationSession: {
      scheme: 'verificationToken',
      expect: bodyTokenMissing,
      request: () => ({ payload: { documentType: 'passport' } }),
    },
    presignVerificationUpload: {
      scheme: 'verificationToken',
      expect: bodyTokenMissing,
      request: () => ({ payload: { side: 'single', contentType: 'image/jpeg', byteSize: 1024 } }),
    },
    completeVerificationUpload: {
      scheme: 'verificationToken',
      expect: bodyTokenMissing,
      // A real upload: presigned for the owner's session and PUT, so only the credential differs.
      async request({ tenant }) {
        const { sessionId, token } = await sessionOf(tenant);
        const bytes = Buffer.from(`passport-${Date.now()}`);
        const presign = await h.call({
          method: 'POST',
          url: `/api/verification/sessions/${sessionId}/presign`,
          payload: { token, side: 'single', contentType: 'image/jpeg', byteSize: bytes.length },
        });
        assert.equal(presign.statusCode, 200, presign.body);
        const { uploadUrl, s3Key } = presign.json();
        assert.ok((await h.put(uploadUrl, bytes, 'image/jpeg')).statusCode < 300);
        const payload = { side: 'single', s3Key, contentType: 'image/jpeg', byteSize: bytes.length };
        return { payload: { ...payload, sha256: sha256(bytes) } };
      },
    },
    initVerificationLiveness: {
      scheme: 'verificationToken',
      request: async ({ tenant }) => {
        await captureComplete(tenant);
        return {};
      },
    },
    presignVerificationLivenessVideo: {
      scheme: 'verificationToken',
      expect: bodyTokenMissing,
      request: async ({ tenant }) => ({
        payload: { requestId: await livenessRequest(tenant), contentType: 'video/webm', byteSize: 1024 },
      }),
    },
    completeVerificationLiveness: {
      scheme: 'verificationToken',
      expect: bodyTokenMissing,
      request: async ({ tenant }) => ({
        payload: {
          requestId: await livenessRequest(tenant),
          challengeType: 'blink',
          greenChannelMean: greenSeries(),
          landmarksSummary: LIVE_LANDMARKS,
        },
      }),
    },
    listDashboardVerifications: 'operator',
    getDashboardVerificationDetail: 'operator',
    submitDashboardVerificationReview: {
      scheme: 'operator',
      request: () => ({ payload: { decision: 'approve', rationale: 'checked by hand in the suite' } }),
    },
    reanalyzeDashboardVerificationAsset: {
      scheme: 'operator',
      params: {
        sessionId: async (tenant) => (await captureOf(tenant)).sessionId,
        assetId: async (tenant) => (await captureOf(tenant)).assetId,
      },
    },
    listOrganizationApiKeys: {
      scheme: 'operator',
      // The seed's 403 for an organization the operator is not a member of.
      expect: { foreign: { status: 403, code: 'UNAUTHENTICATED' } },
    },
    mintOrganizationApiKeyPair: {
      scheme: 'operator',
      expect: { foreign: { status: 403, code: 'UNAUTHENTICATED' } },
      request: () => ({ payload: { environment: 'test', label: 'suite' } }),
    },
    revokeOrganizationApiKey: {
      scheme: 'operator',
      expect: { foreign: { status: 403, code: 'UNAUTHENTICATED' } },
      params: {
        keyId: async (tenant) => (await h.keys(tenant.cookie, tenant.organizationId)).body.secret.summary.id,
      },
    },
    notifyRetrainingBatch: {
      scheme: 'operator',
      request: async ({ tenant }) => ({
        payload: { sessionIds: [(await sessionOf(tenant)).sessionId], note: 'suite' },
      }),
    },
  },
  public: {
    login: 'the credential is the body (email and password); its 401 is a wrong password',
  },
  resources: {
    sessionId: async (tenant) => (await sessionOf(tenant)).sessionId,
    organizationId: (tenant) => tenant.organizationId,
  },
  errorCode,
};

securitySuiteTests(() => h.service, suite, { covered: 18, public: ['health', 'login', 'logout', 'signup'] });
