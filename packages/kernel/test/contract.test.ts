import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Contract, type ContractResponse, seedPath } from '../src/testkit/contract.js';
import { SEEDS } from './support/seeds.js';

const UUID = '3f0c9a1e-5b2d-4c7e-9f10-2a3b4c5d6e7f';
const OTHER_UUID = '9b8a7c6d-1e2f-4a3b-8c9d-0e1f2a3b4c5d';
const NOW = '2026-04-30T08:14:22.000Z';

function json(
  statusCode: number,
  body: unknown,
  contentType = 'application/json; charset=utf-8',
): ContractResponse {
  return { statusCode, headers: { 'content-type': contentType }, body: JSON.stringify(body) };
}

function assertValid(contract: Contract, method: string, path: string, response: ContractResponse): void {
  const result = contract.validateResponse(method, path, response);
  assert.deepEqual(result.errors, [], `expected ${method} ${path} to pass`);
  assert.equal(result.ok, true);
}

/** Asserts the response fails and that some violation matches each pattern. */
function assertInvalid(
  contract: Contract,
  method: string,
  path: string,
  response: ContractResponse,
  ...patterns: RegExp[]
): string[] {
  const result = contract.validateResponse(method, path, response);
  assert.equal(result.ok, false, `expected ${method} ${path} to fail`);
  for (const pattern of patterns) {
    assert.ok(
      result.errors.some((error) => pattern.test(error)),
      `no violation matches ${pattern}; got:\n${result.errors.join('\n')}`,
    );
  }
  return result.errors;
}

describe('contract: kyc (OpenAPI 3.0)', () => {
  const kyc = Contract.fromSeed(seedPath(SEEDS.kyc));

  const organization = {
    id: UUID,
    customerId: 'acme',
    legalCompanyName: null,
    legalEmail: 'legal@acme.test',
    registrationNumber: null,
    companyWebsite: null,
    companyAddress: null,
    displayName: 'Acme',
    aliasName: null,
    logoUrl: null,
    createdAt: NOW,
    updatedAt: NOW,
  };
  const session = {
    id: UUID,
    documentType: 'passport',
    capturePhase: 'document',
    reviewStatus: 'pending',
    riskLabel: null,
    automatedBlockReason: null,
    expiresAt: NOW,
    assets: [{ id: OTHER_UUID, side: 'front', analysisStatus: 'done', s3Key: 'k/1', createdAt: NOW }],
  };

  test('loads and lists its 22 operations, every one with an operationId', () => {
    const operations = kyc.operations();
    assert.equal(operations.length, 22);
    assert.ok(operations.every((operation) => operation.operationId));
    assert.deepEqual(
      operations.find((operation) => operation.operationId === 'getVerificationSession'),
      {
        method: 'GET',
        template: '/api/verification/sessions/{sessionId}',
        operationId: 'getVerificationSession',
        summary: 'Get verification session',
        statuses: ['200', '401', '404', '410', '503'],
        // The seed's security is `[]` everywhere but here it documents a 401: the verification token.
        security: { kind: 'authenticated', schemes: [] },
      },
    );
    kyc.compileAll();
  });

  test('maps a concrete path with a query string to its operation', () => {
    const result = kyc.validateResponse(
      'get',
      `/api/verification/sessions/${UUID}?token=abc`,
      json(200, { ok: true, session }),
    );
    assert.equal(result.operation, 'getVerificationSession');
    assert.deepEqual(result.errors, []);
    const reanalyze = kyc.validateResponse(
      'POST',
      `/api/dashboard/verifications/${UUID}/assets/${OTHER_UUID}/reanalyze`,
      json(404, { ok: false, error: 'VERIFICATION_ASSET_NOT_FOUND' }),
    );
    assert.equal(reanalyze.operation, 'reanalyzeDashboardVerificationAsset');
    assert.equal(reanalyze.ok, true, reanalyze.errors.join('\n'));
  });

  test('accepts a valid body with null in nullable fields', () => {
    assertValid(kyc, 'POST', '/api/organizations', json(201, { ok: true, organization }));
  });

  test('rejects null where the field is not nullable, naming operation, status and pointer', () => {
    assertInvalid(
      kyc,
      'POST',
      '/api/organizations',
      json(201, { ok: true, organization: { ...organization, displayName: null } }),
      /^createOrganization 201 at \/organization\/displayName: expected string, got null null$/,
    );
  });

  test('rejects a missing required field and a wrongly typed one', () => {
    const { legalEmail: _omitted, ...withoutEmail } = organization;
    assertInvalid(
      kyc,
      'POST',
      '/api/organizations',
      json(201, { ok: true, organization: { ...withoutEmail, customerId: 42 } }),
      /at \/organization\/legalEmail: required property is missing/,
      /at \/organization\/customerId: expected string, got integer 42/,
    );
  });

  test('checks formats that ajv-formats knows', () => {
    assertInvalid(
      kyc,
      'POST',
      '/api/organizations',
      json(201, { ok: true, organization: { ...organization, id: 'not-a-uuid' } }),
      /at \/organization\/id: must match format "uuid"/,
    );
  });

  test('nullable enum accepts null but not an unlisted value', () => {
    const path = `/api/verification/sessions/${UUID}`;
    assertValid(kyc, 'GET', path, json(200, { ok: true, session: { ...session, documentType: null } }));
    assertInvalid(
      kyc,
      'GET',
      path,
      json(200, { ok: true, session: { ...session, documentType: 'visa' } }),
      /at \/session\/documentType: expected one of \["passport","id_card","drive_eta",null\], got "visa"/,
    );
  });

  test('nullable allOf (with $ref inside) accepts null and still checks the referenced schema', () => {
    const summary = {
      id: UUID,
      externalUserId: null,
      documentType: null,
      capturePhase: 'done',
      reviewStatus: 'pending',
      riskLabel: null,
      automatedBlockReason: null,
      documentHeatmapViewUrl: null,
      faceSimilarityScore: 0.93,
      expiresAt: NOW,
      createdAt: NOW,
      updatedAt: NOW,
    };
    const liveness = {
      id: OTHER_UUID,
      status: 'passed',
      confidenceScore: null,
      failureReason: null,
      riskLabel: null,
      signalsJson: { blink: true },
      updatedAt: NOW,
    };
    const path = '/api/dashboard/verifications';
    assertValid(
      kyc,
      'GET',
      path,
      json(200, {
        ok: true,
        items: [
          { session: summary, latestLiveness: null },
          { session: summary, latestLiveness: liveness },
        ],
      }),
    );
    const { status: _omitted, ...withoutStatus } = liveness;
    assertInvalid(
      kyc,
      'GET',
      path,
      json(200, { ok: true, items: [{ session: summary, latestLiveness: withoutStatus }] }),
      /at \/items\/0\/latestLiveness\/status: required property is missing/,
    );
    const wrongType = assertInvalid(
      kyc,
      'GET',
      path,
      json(200, { ok: true, items: [{ session: summary, latestLiveness: 5 }] }),
      /^listDashboardVerifications 200 at \/items\/0\/latestLiveness: expected null or object, got integer 5$/,
    );
    assert.equal(wrongType.length, 1, 'the failed alternatives of nullable fold into one violation');
  });

  test('error bodies: allOf of the shared envelope and a per-status enum', () => {
    assertValid(kyc, 'POST', '/api/auth/login', json(401, { ok: false, error: 'INVALID_CREDENTIALS' }));
    assertInvalid(
      kyc,
      'POST',
      '/api/auth/login',
      json(401, { ok: false, error: 'VALIDATION_ERROR' }),
      /^login 401 at \/error: expected one of \["INVALID_CREDENTIALS"\], got "VALIDATION_ERROR"$/,
    );
    assertInvalid(
      kyc,
      'POST',
      '/api/auth/logout',
      json(200, { ok: false }),
      /^logout 200 at \/ok: expected one of \[true\]/,
    );
  });

  test('an undocumented status is a violation', () => {
    assertInvalid(
      kyc,
      'POST',
      '/api/auth/login',
      json(404, { ok: false, error: 'NOT_FOUND' }),
      /^login 404: status 404 is not documented \(documented: 200, 400, 401, 503\)$/,
    );
  });

  test('a wrong or missing Content-Type is a violation, and so is a body that is not JSON', () => {
    const body = { ok: true };
    assertInvalid(
      kyc,
      'POST',
      '/api/auth/logout',
      json(200, body, 'text/html'),
      /^logout 200: Content-Type text\/html is not documented \(documented: application\/json\)$/,
    );
    assertInvalid(
      kyc,
      'POST',
      '/api/auth/logout',
      { statusCode: 200, headers: {}, body: '{"ok":true}' },
      /missing Content-Type/,
    );
    assertInvalid(
      kyc,
      'POST',
      '/api/auth/logout',
      { statusCode: 200, headers: { 'Content-Type': 'application/json' }, body: '{ok' },
      /^logout 200: body is not valid JSON/,
    );
  });

  test('accepts an already parsed body and bytes', () => {
    assertValid(kyc, 'POST', '/api/auth/logout', {
      statusCode: 200,
      headers: { 'content-type': 'application/json' },
      body: { ok: true },
    });
    assertValid(kyc, 'POST', '/api/auth/logout', {
      statusCode: 200,
      headers: { 'content-type': 'application/json' },
      body: Buffer.from('{"ok":true}'),
    });
  });

  test('unknown paths and methods are reported', () => {
    const unknown = kyc.validateResponse('GET', '/api/nowhere', json(200, {}));
    assert.equal(unknown.ok, false);
    assert.equal(unknown.operation, 'GET /api/nowhere');
    assert.match(unknown.errors[0] ?? '', /no operation matches GET \/api\/nowhere/);
    const wrongMethod = kyc.validateResponse('DELETE', '/api/organizations', json(200, {}));
    assert.match(
      wrongMethod.errors[0] ?? '',
      /no DELETE operation for \/api\/organizations \(documented: GET \/api\/organizations, POST \/api\/organizations\)/,
    );
  });

  test('assertResponse throws an AssertionError listing every violation', () => {
    const { legalEmail: _omitted, ...withoutEmail } = organization;
    assert.throws(
      () =>
        kyc.assertResponse(
          'POST',
          '/api/organizations',
          json(201, { ok: true, organization: { ...withoutEmail, displayName: null } }),
        ),
      (error: unknown) => {
        assert.ok(error instanceof assert.AssertionError);
        assert.match(error.message, /breaks the 000_36c1d14c8e9844b6\.txt contract/);
        assert.match(
          error.message,
          /- createOrganization 201 at \/organization\/legalEmail: required property is missing/,
        );
        assert.match(
          error.message,
          /- createOrganization 201 at \/organization\/displayName: expected string, got null/,
        );
        return true;
      },
    );
    assert.doesNotThrow(() => kyc.assertResponse('POST', '/api/auth/logout', json(200, { ok: true })));
  });
});

describe('contract: biometry (OpenAPI 3.1, FastAPI)', () => {
  const biometry = Contract.forService(SEEDS.biometry);
  const job = {
    job_id: 'job_1',
    status: 'queued',
    citizen_code: 'C-1',
    queued_at: null,
    started_at: null,
    worker_id: null,
  };

  test('loads and lists its 8 operations', () => {
    assert.equal(biometry.operations().length, 8);
    biometry.compileAll();
  });

  test('a literal segment beats a parameter: /jobs/results is not /jobs/{job_id}', () => {
    const results = { results: [], total_ready: 0, returned: 0, queue_depth: 0, workers_active: 1 };
    const literal = biometry.validateResponse('GET', '/jobs/results?limit=5', json(200, results));
    assert.equal(literal.operation, 'poll_results_jobs_results_get');
    assert.deepEqual(literal.errors, []);
    const parameter = biometry.validateResponse('GET', '/jobs/job_1', json(200, job));
    assert.equal(parameter.operation, 'get_job_status_jobs__job_id__get');
    assert.deepEqual(parameter.errors, []);
  });

  test('anyOf with null accepts null and the other branch, and rejects a third type', () => {
    assertValid(biometry, 'GET', '/jobs/job_1', json(200, { ...job, queued_at: NOW }));
    assertInvalid(
      biometry,
      'GET',
      '/jobs/job_1',
      json(200, { ...job, queued_at: 12 }),
      /^get_job_status_jobs__job_id__get 200 at \/queued_at: expected string or null, got integer 12$/,
    );
  });

  test('rejects a wrong type, an enum violation and a const violation', () => {
    assertInvalid(
      biometry,
      'GET',
      '/jobs/job_1',
      json(200, { ...job, job_id: 7, status: 'lost' }),
      /at \/job_id: expected string, got integer 7/,
      /at \/status: expected one of \["queued","processing","completed","error"\], got "lost"/,
    );
    assertInvalid(
      biometry,
      'POST',
      '/jobs/submit',
      json(202, { job_id: 'job_1', status: 'done' }),
      /^submit_job_jobs_submit_post 202 at \/status: expected "queued", got "done"$/,
    );
  });

  test('nested $refs inside items resolve (PollResultsResponse -> JobResult)', () => {
    const result = {
      job_id: 'job_1',
      citizen_code: 'C-1',
      status: 'completed',
      outcome: 'verified',
      completed_at: NOW,
      processing_time_ms: 1200,
      failure_reason: null,
      cross_validations: {},
      scores: { face: 0.9 },
    };
    const body = { results: [result], total_ready: 1, returned: 1, queue_depth: 0, workers_active: 1 };
    assertValid(biometry, 'GET', '/jobs/results', json(200, body));
    assertInvalid(
      biometry,
      'GET',
      '/jobs/results',
      json(200, { ...body, results: [{ ...result, outcome: 'maybe' }] }),
      /at \/results\/0\/outcome: expected one of/,
    );
  });

  test('422 validation errors, and statuses FastAPI did not document', () => {
    assertValid(
      biometry,
      'POST',
      '/jobs/ack',
      json(422, { detail: [{ loc: ['body', 'job_ids', 0], msg: 'field required', type: 'missing' }] }),
    );
    assertInvalid(
      biometry,
      'GET',
      '/jobs/job_1',
      json(404, { detail: 'Not Found' }),
      /status 404 is not documented \(documented: 200, 422\)/,
    );
  });

  test('non-JSON media types are checked by Content-Type only', () => {
    assertValid(biometry, 'GET', '/', {
      statusCode: 200,
      headers: { 'content-type': 'text/html; charset=utf-8' },
      body: '<h1>biometry</h1>',
    });
    assertInvalid(
      biometry,
      'GET',
      '/',
      json(200, { ok: true }),
      /Content-Type application\/json is not documented \(documented: text\/html\)/,
    );
  });

  test('an empty schema accepts any JSON', () => {
    assertValid(biometry, 'GET', '/health', json(200, { status: 'ok', anything: [1, 2] }));
  });
});

describe('contract: verifact (OpenAPI 3.1 with nullable and components.responses)', () => {
  const verifact = Contract.forService(SEEDS.verifact);
  const claim = {
    id: 'clm_1',
    claimNumber: 'CN-1',
    status: 'pending',
    riskBand: null,
    riskScore: null,
    siuFlagged: false,
    photoCount: 1,
    photos: [{ id: 'ph_1', verifyStatus: 'verified', attestationType: null, riskScore: 0.2 }],
  };

  test('loads and lists its operations', () => {
    assert.equal(verifact.operations().length, 18);
    verifact.compileAll();
  });

  test('nullable (3.0 style inside 3.1) with enum, through allOf and nested $ref', () => {
    assertValid(verifact, 'GET', '/api/v1/claims/clm_1', json(200, claim));
    assertInvalid(
      verifact,
      'GET',
      '/api/v1/claims/clm_1',
      json(200, {
        ...claim,
        riskBand: 'extreme',
        photos: [{ ...claim.photos[0], attestationType: 'bogus', riskScore: 2 }],
      }),
      /^getClaim 200 at \/riskBand: expected one of \["low","review","high","very_high",null\], got "extreme"$/,
      /at \/photos\/0\/attestationType: expected one of/,
      /at \/photos\/0\/riskScore: must be <= 1, got 2/,
    );
  });

  test('type arrays with null', () => {
    const plan = {
      billingMode: 'per_claim',
      monthlyCap: { mode: 'hard', limit: null, used: 3, remaining: null },
    };
    assertValid(verifact, 'GET', '/api/v1/plan', json(200, plan));
    assertInvalid(
      verifact,
      'GET',
      '/api/v1/plan',
      json(200, { ...plan, monthlyCap: { ...plan.monthlyCap, limit: 'none' } }),
      /at \/monthlyCap\/limit: expected integer or null, got string "none"/,
    );
  });

  test('responses referenced from components.responses are resolved', () => {
    assertValid(verifact, 'GET', '/api/v1/claims/clm_1', json(401, { error: 'Missing API key' }));
    assertInvalid(
      verifact,
      'GET',
      '/api/v1/claims/clm_1',
      json(401, { code: 'NO_KEY' }),
      /^getClaim 401 at \/error: required property is missing$/,
    );
    assertValid(
      verifact,
      'PATCH',
      '/api/v1/claims/clm_1',
      json(402, { error: 'cap', code: 'MONTHLY_CLAIM_CAP_EXCEEDED', cap: 100 }),
    );
    assertInvalid(
      verifact,
      'PATCH',
      '/api/v1/claims/clm_1',
      json(402, { error: 'cap', cap: 'hundred' }),
      /^updateClaimStatus 402 at \/cap: expected integer/,
    );
  });

  test('binary downloads: image types by Content-Type, and 304 without a body', () => {
    const path = '/api/v1/photos/ph_1/download';
    assertValid(verifact, 'GET', path, {
      statusCode: 200,
      headers: { 'content-type': 'image/png' },
      body: Buffer.from([0x89, 0x50]),
    });
    assertInvalid(
      verifact,
      'GET',
      path,
      json(200, { url: 'x' }),
      /Content-Type application\/json is not documented \(documented: image\/jpeg, image\/heic, image\/png\)/,
    );
    assertValid(verifact, 'GET', path, { statusCode: 304, headers: {}, body: '' });
    assertInvalid(
      verifact,
      'GET',
      path,
      { statusCode: 304, headers: {}, body: 'cached' },
      /^downloadPhoto 304: expected no body, got 6 bytes$/,
    );
  });

  test('an error status documented without content is not checked', () => {
    assertValid(verifact, 'POST', '/api/v1/users', json(409, { error: 'Email already in use' }));
  });
});

describe('contract: backlex (OpenAPI 3.1 under /api)', () => {
  const backlex = Contract.forService(SEEDS.backlex);
  const org = {
    id: 'org_1',
    slug: 'acme',
    name: 'Acme',
    planId: 'free',
    residency: 'eu',
    defaultRegion: 'eu-west',
    ipAllowlist: [],
    webhookUrl: null,
    status: 'active',
  };

  test('loads; templates carry the server base path', () => {
    const operations = backlex.operations();
    assert.equal(operations.length, 68);
    assert.ok(operations.every((operation) => operation.template.startsWith('/api/')));
    assert.ok(
      operations.some((operation) => operation.method === 'GET' && operation.template === '/api/orgs'),
    );
    backlex.compileAll();
  });

  test('requires the /api prefix', () => {
    assertValid(backlex, 'GET', '/api/orgs', json(200, { orgs: [{ ...org, role: 'owner' }] }));
    assertInvalid(backlex, 'GET', '/orgs', json(200, { orgs: [] }), /no operation matches GET \/orgs/);
  });

  test('allOf with $ref, nullable in a 3.1 document, and nullable without a type', () => {
    assertInvalid(
      backlex,
      'GET',
      '/api/orgs',
      json(200, { orgs: [{ ...org, name: null }] }),
      /^GET \/api\/orgs 200 at \/orgs\/0\/name: expected string, got null/,
      /at \/orgs\/0\/role: required property is missing/,
    );
    assertValid(
      backlex,
      'PATCH',
      '/api/org/acme',
      json(403, { error: { code: 'FORBIDDEN', message: 'no', details: null } }),
    );
    assertValid(
      backlex,
      'PATCH',
      '/api/org/acme',
      json(403, { error: { code: 'FORBIDDEN', message: 'no', details: { a: 1 } } }),
    );
  });

  test('204 must be empty', () => {
    assertValid(backlex, 'DELETE', '/api/org/acme/api-keys/key_1', {
      statusCode: 204,
      headers: {},
      body: '',
    });
    assertInvalid(
      backlex,
      'DELETE',
      '/api/org/acme/api-keys/key_1',
      json(204, { ok: true }),
      /^DELETE \/api\/org\/\{slug\}\/api-keys\/\{id\} 204: expected no body/,
    );
  });
});

describe('contract: OpenAPI features the seeds do not all exercise', () => {
  const document = {
    openapi: '3.0.3',
    info: { title: 'fixture', version: '1' },
    servers: [{ url: 'https://{host}/v1', variables: { host: { default: 'example.test' } } }],
    paths: {
      '/files/{name}.json': {
        get: { operationId: 'fileJson', responses: { '200': { $ref: '#/components/responses/Tree' } } },
      },
      '/files/{name}': {
        get: {
          operationId: 'file',
          responses: {
            '200': { $ref: '#/components/responses/Tree' },
            '404': {
              description: 'exact',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/Exact' } } },
            },
            '4XX': {
              description: 'range',
              content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
            },
            default: {
              description: 'anything else',
              content: { 'application/json': { schema: { type: 'object', required: ['fallback'] } } },
            },
          },
        },
      },
    },
    components: {
      responses: {
        Tree: { $ref: '#/components/responses/TreeBody' },
        TreeBody: {
          description: 'tree',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Tree' } } },
        },
      },
      schemas: {
        Tree: {
          type: 'object',
          required: ['name', 'children', 'secret', 'size'],
          'x-internal': true,
          example: { name: 'root', children: [] },
          properties: {
            name: { type: 'string', example: 'root' },
            secret: { type: 'string', writeOnly: true },
            size: { type: 'integer', format: 'int64', minimum: 0, exclusiveMinimum: true },
            kind: { type: 'string', format: 'made-up-format' },
            parent: { $ref: '#/components/schemas/Tree', nullable: true, description: 'ignored sibling' },
            children: { type: 'array', items: { $ref: '#/components/schemas/Tree' } },
            labels: { type: 'object', additionalProperties: { $ref: '#/components/schemas/Label' } },
          },
        },
        Label: { type: 'string', enum: ['a', 'b'] },
        Exact: { type: 'object', required: ['exact'] },
        Problem: { type: 'object', required: ['title'] },
      },
    },
  };
  const contract = Contract.fromDocument(document, { name: 'fixture' });

  test('server base path with variables; a partly literal segment beats a bare parameter', () => {
    assert.deepEqual(
      contract.operations().map((operation) => operation.template),
      ['/v1/files/{name}.json', '/v1/files/{name}'],
    );
    const tree = { name: 'root', children: [], size: 1 };
    assert.equal(contract.validateResponse('GET', '/v1/files/a.json', json(200, tree)).operation, 'fileJson');
    assert.equal(contract.validateResponse('GET', '/v1/files/a', json(200, tree)).operation, 'file');
  });

  test('recursive $refs, refs inside items and additionalProperties, 3.0 $ref + nullable', () => {
    const child = { name: 'child', children: [], size: 2, parent: null, labels: { x: 'a' } };
    assertValid(
      contract,
      'GET',
      '/v1/files/a',
      json(200, { name: 'root', children: [child], size: 1, kind: 'anything' }),
    );
    assertInvalid(
      contract,
      'GET',
      '/v1/files/a',
      json(200, {
        name: 'root',
        children: [{ ...child, children: [{ name: 3 }], labels: { x: 'z' } }],
        size: 1,
      }),
      /^file 200 at \/children\/0\/children\/0\/name: expected string, got integer 3$/,
      /at \/children\/0\/labels\/x: expected one of \["a","b"\], got "z"/,
    );
  });

  test('writeOnly properties are not required in a response; boolean exclusiveMinimum is honoured', () => {
    assertValid(contract, 'GET', '/v1/files/a', json(200, { name: 'root', children: [], size: 1 }));
    assertInvalid(
      contract,
      'GET',
      '/v1/files/a',
      json(200, { name: 'root', children: [], size: 0 }),
      /at \/size: must be > 0, got 0/,
    );
  });

  test('status: exact, then range, then default', () => {
    assertValid(contract, 'GET', '/v1/files/a', json(404, { exact: true }));
    assertValid(contract, 'GET', '/v1/files/a', json(409, { title: 'conflict' }, 'application/problem+json'));
    assertInvalid(
      contract,
      'GET',
      '/v1/files/a',
      json(409, {}, 'application/problem+json'),
      /^file 409 at \/title: required property is missing$/,
    );
    assertValid(contract, 'GET', '/v1/files/a', json(503, { fallback: true }));
    assertInvalid(
      contract,
      'GET',
      '/v1/files/a',
      json(503, {}),
      /^file 503 at \/fallback: required property is missing$/,
    );
  });

  test('rejects documents it cannot read', () => {
    assert.throws(() => Contract.fromDocument({ swagger: '2.0' }), /neither an OpenAPI 3 document/);
    assert.throws(
      () => Contract.fromDocument({ ...document, openapi: '3.0.3' }, { sections: ['x'] }),
      /sections only apply/,
    );
    assert.throws(
      () => Contract.fromDocument({ ...document, components: { ...document.components, schemas: {} } }),
      /unresolvable \$ref #\/components\/schemas\/Tree/,
    );
  });
});

describe('contract: a named schema or the failure envelope, for bodies no operation documents', () => {
  test('validateSchema checks a component of an OpenAPI seed, $refs and 3.0 keywords included', () => {
    const kyc = Contract.forService(SEEDS.kyc);
    assert.equal(kyc.validateSchema('#/components/schemas/ApiError', { ok: false, error: 'X' }).ok, true);
    const wrong = kyc.validateSchema('#/components/schemas/ApiError', { ok: true, message: 1 });
    assert.equal(wrong.ok, false);
    assert.ok(
      wrong.errors.some((line) => /\/error: required property is missing/.test(line)),
      wrong.errors.join('\n'),
    );
    // allOf with a $ref into the shared envelope.
    assert.equal(
      kyc.validateSchema('#/components/schemas/Login400Error', { ok: false, error: 'NOPE' }).ok,
      false,
    );
    assert.throws(() => kyc.validateSchema('#/components/schemas/Nope', {}), /unresolvable/);
    assert.throws(
      () => kyc.assertSchema('#/components/schemas/ApiError', { error: 'X' }),
      /breaks #\/components\/schemas\/ApiError of the kyc contract/,
    );
    const backlex = Contract.forService(SEEDS.backlex);
    assert.equal(
      backlex.validateSchema('#/components/schemas/AppError', {
        error: { code: 'X', message: 'm', details: null },
      }).ok,
      true,
    );
  });

  test('validateFailureEnvelope checks the 004 envelope of enveloped sections only', () => {
    const account = Contract.forService(SEEDS.account);
    assert.equal(
      account.validateFailureEnvelope(400, { success: false, code: 4000, message: 'm', trace_id: 't' }).ok,
      true,
    );
    assert.equal(
      account.validateFailureEnvelope(500, { success: false, code: 4000, message: 'm' }).ok,
      false,
    );
    assert.equal(
      account.validateFailureEnvelope(200, { success: false, code: 4000, message: 'm' }).ok,
      false,
    );
    assert.throws(
      () => Contract.forService(SEEDS.media).validateFailureEnvelope(400, {}),
      /no failure envelope/,
    );
    assert.throws(() => account.validateSchema('#/x', {}), /needs an OpenAPI seed/);
  });
});
