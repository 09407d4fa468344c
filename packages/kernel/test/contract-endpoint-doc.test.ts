import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { Contract, type ContractResponse, seedPath } from '../src/testkit/contract.js';
import { SEEDS } from './support/seeds.js';
import { parseLooseJson, schemaFromExample } from '../src/testkit/contract-endpoint-doc.js';

function json(statusCode: number, body: unknown, contentType = 'application/json'): ContractResponse {
  return { statusCode, headers: { 'content-type': contentType }, body: JSON.stringify(body) };
}

function assertValid(contract: Contract, method: string, path: string, response: ContractResponse): void {
  const result = contract.validateResponse(method, path, response);
  assert.deepEqual(result.errors, [], `expected ${method} ${path} to pass`);
}

function assertInvalid(
  contract: Contract,
  method: string,
  path: string,
  response: ContractResponse,
  ...patterns: RegExp[]
): void {
  const result = contract.validateResponse(method, path, response);
  assert.equal(result.ok, false, `expected ${method} ${path} to fail`);
  for (const pattern of patterns) {
    assert.ok(
      result.errors.some((error) => pattern.test(error)),
      `no violation matches ${pattern}; got:\n${result.errors.join('\n')}`,
    );
  }
}

const profile = {
  account_id: '550e8400-e29b-41d4-a716-446655440000',
  account_type: 'human',
  email: 'user@example.com',
  display_name: 'Jane Doe',
  avatar_url: '',
  timezone: 'Asia/Jakarta',
  language: 'id',
  email_verified: true,
  bio: '',
  metadata: {},
  created_at: 1735689600,
};

describe('contract: 004 endpoint document, account sections', () => {
  const account = Contract.forService(SEEDS.account);

  test('loads only the account sections', () => {
    const operations = account.operations();
    assert.equal(operations.length, 50);
    assert.deepEqual(
      operations.find((operation) => operation.template === '/api/v1/me' && operation.method === 'GET'),
      {
        method: 'GET',
        template: '/api/v1/me',
        summary: 'Get my profile',
        statuses: ['2XX', '4XX', '5XX'],
        security: { kind: 'authenticated', schemes: ['JWT Bearer'] },
      },
    );
    assert.ok(!operations.some((operation) => operation.template.startsWith('/folders')));
    account.compileAll();
  });

  test('a success body must carry every example key with its JSON type; extra keys are fine', () => {
    assertValid(
      account,
      'GET',
      '/api/v1/me',
      json(200, { success: true, data: { ...profile, extra: [1] }, code: 2000 }),
    );
    const { email: _omitted, ...withoutEmail } = profile;
    assertInvalid(
      account,
      'GET',
      '/api/v1/me',
      json(200, { success: true, data: { ...withoutEmail, email_verified: 'yes', metadata: [] } }),
      /^GET \/api\/v1\/me 200 at \/data\/email: required property is missing$/,
      /at \/data\/email_verified: expected boolean or null, got string "yes"/,
      /at \/data\/metadata: expected object, got array \[\]/,
    );
  });

  test('numbers are not split into integer and float; scalars may be null', () => {
    assertValid(
      account,
      'GET',
      '/api/v1/me',
      json(200, { success: true, data: { ...profile, created_at: 1.5, bio: null } }),
    );
  });

  test('the envelope: success must be true on 2xx', () => {
    assertInvalid(
      account,
      'GET',
      '/api/v1/me',
      json(200, { success: false, data: profile }),
      /at \/success: expected true, got false/,
    );
  });

  test('arrays check items against the first example element', () => {
    const session = {
      session_id: 's1',
      ip_address: '203.0.113.42',
      user_agent: 'ua',
      device_fingerprint: '',
      created_at: 1,
      last_used_at: 2,
      expires_at: 3,
      is_current: true,
    };
    assertValid(
      account,
      'GET',
      '/api/v1/me/sessions',
      json(200, { success: true, data: { sessions: [session] } }),
    );
    assertInvalid(
      account,
      'GET',
      '/api/v1/me/sessions',
      json(200, { success: true, data: { sessions: [session, { ...session, is_current: undefined }] } }),
      /at \/data\/sessions\/1\/is_current: required property is missing/,
    );
  });

  test('`data: null` and `[ ... ]` placeholders accept anything', () => {
    assertValid(
      account,
      'DELETE',
      '/api/v1/me/sessions/s1',
      json(200, { success: true, data: { gone: true } }),
    );
    const refreshed = {
      account_id: 'a',
      email: 'user@example.com',
      display_name: 'Jane',
      access_token: 'eyJ',
      refresh_token: 'eyJ',
      expires_in: 900,
      organizations: [{ id: 'o', role: 'owner' }],
      current_org_id: 'o',
      requires_email_verification: false,
      csrf_token: 'c',
    };
    assertValid(account, 'POST', '/api/v1/auth/refresh', json(200, { success: true, data: refreshed }));
  });

  test('4xx/5xx must be the failure envelope with a code of the same family', () => {
    const failure = { success: false, code: 4003, message: 'Invalid token', trace_id: 't-1' };
    assertValid(account, 'GET', '/api/v1/me', json(401, failure));
    assertValid(
      account,
      'POST',
      '/api/v1/auth/login',
      json(429, { ...failure, code: 4008, retry_after: 30 }),
    );
    assertValid(account, 'GET', '/api/v1/me', json(500, { success: false, code: 5000, message: 'boom' }));
    const { message: _omitted, ...withoutMessage } = failure;
    assertInvalid(
      account,
      'GET',
      '/api/v1/me',
      json(401, withoutMessage),
      /^GET \/api\/v1\/me 401 at \/message: required property is missing$/,
    );
    assertInvalid(
      account,
      'GET',
      '/api/v1/me',
      json(401, { ...failure, code: 5000 }),
      /at \/code: must be <= 4999, got 5000/,
    );
    assertInvalid(
      account,
      'GET',
      '/api/v1/me',
      json(404, { error: 'not found' }),
      /at \/success: required property is missing/,
    );
  });

  test('statuses outside 2xx/4xx/5xx are undocumented; JSON examples need a JSON Content-Type', () => {
    assertInvalid(
      account,
      'GET',
      '/api/v1/me',
      { statusCode: 302, headers: {}, body: '' },
      /status 302 is not documented \(documented: 2XX, 4XX, 5XX\)/,
    );
    assertInvalid(
      account,
      'GET',
      '/api/v1/me',
      json(200, { success: true, data: profile }, 'text/plain'),
      /Content-Type text\/plain is not documented \(documented: application\/json\)/,
    );
  });

  test('endpoints without an envelope or without a JSON example', () => {
    assertValid(account, 'GET', '/health', json(200, { status: 'ok' }));
    assertValid(account, 'GET', '/health/detailed', json(503, { status: 'degraded' }));
    assertValid(account, 'GET', '/metrics', {
      statusCode: 200,
      headers: { 'content-type': 'text/plain; version=0.0.4' },
      body: '# HELP up 1\nup 1\n',
    });
  });
});

describe('contract: 004 endpoint document, media and notification sections', () => {
  const media = Contract.forService(SEEDS.media);
  const notification = Contract.forService(SEEDS.notification);
  const folder = {
    id: 'f9a1',
    name: 'Vacation Photos',
    parent_id: '4f2c',
    path: 'Documents/Vacation Photos',
    depth: 2,
    created_at: '2026-04-30T08:14:22Z',
  };

  test('loads the media and notification sections', () => {
    assert.equal(media.operations().length, 25);
    assert.equal(notification.operations().length, 14);
    media.compileAll();
    notification.compileAll();
  });

  test('media bodies have no envelope; a root folder may have parent_id null', () => {
    assertValid(media, 'POST', '/folders', json(201, folder));
    assertValid(media, 'POST', '/folders', json(201, { ...folder, parent_id: null, depth: 0 }));
    assertInvalid(
      media,
      'POST',
      '/folders',
      json(201, { ...folder, depth: '2' }),
      /^POST \/folders 201 at \/depth: expected number or null, got string "2"$/,
    );
  });

  test('media error bodies and example-less endpoints are not checked', () => {
    assertValid(media, 'POST', '/folders', json(409, { error: 'duplicate' }));
    assertValid(media, 'GET', '/media/m1', {
      statusCode: 206,
      headers: { 'content-type': 'video/mp4' },
      body: Buffer.from([1]),
    });
    assertValid(media, 'GET', '/share/tok123', {
      statusCode: 200,
      headers: { 'content-type': 'image/jpeg' },
      body: 'x',
    });
  });

  test('a literal path beats a parameter: /media/{id}/info is its own operation', () => {
    const result = media.validateResponse('GET', '/media/m1/info', json(200, {}));
    assert.equal(result.operation, 'GET /media/{id}/info');
  });

  test('gRPC methods are kept, checked by message shape only; comments in examples are tolerated', () => {
    const history = { notifications: [{ id: 'n1' }], total: 1, page: 1, page_size: 20, total_pages: 1 };
    assertValid(notification, 'grpc', '/notification.NotificationService/GetNotificationHistory', {
      statusCode: 200,
      headers: {},
      body: history,
    });
    assertInvalid(
      notification,
      'GRPC',
      '/notification.NotificationService/GetNotificationHistory',
      { statusCode: 200, headers: {}, body: { ...history, total: '1' } },
      /at \/total: expected number or null/,
    );
  });

  test('the whole document at once: duplicate operations (three GET /health) accept any of their shapes', () => {
    const everything = Contract.fromSeed(seedPath(SEEDS.account));
    assert.equal(everything.operations().length, 89);
    assertValid(everything, 'GET', '/health', json(200, { status: 'ok' }));
    assertValid(everything, 'GET', '/health', json(200, { status: 'healthy', service: 'media-service' }));
    assertInvalid(
      everything,
      'GET',
      '/health',
      json(200, {}),
      /GET \/health 200 at \/status: required property is missing/,
    );
  });

  test('unknown sections are an error', () => {
    assert.throws(
      () => Contract.fromSeed(seedPath(SEEDS.account), { sections: ['nope'] }),
      /unknown section\(s\) nope/,
    );
  });
});

describe('contract: reading endpoint-document examples', () => {
  test('parseLooseJson tolerates comments, placeholders and the commas they leave', () => {
    assert.deepEqual(parseLooseJson('{ "a": [ /* Item[] */ ], "b": 1 }'), { a: [], b: 1 });
    assert.deepEqual(parseLooseJson('{ "a": [ 1, ... ], "b": ..., // more\n "c": "x ... y" }'), {
      a: [1],
      b: null,
      c: 'x ... y',
    });
    assert.deepEqual(parseLooseJson('[ …, { "id": "9e1c…" } ]'), [{ id: '9e1c…' }]);
    assert.deepEqual(parseLooseJson('{ "s": "quote \\" , ]" , ... }'), { s: 'quote " , ]' });
    assert.equal(parseLooseJson('# HELP metric\nmetric 1'), undefined);
    assert.equal(parseLooseJson('{ not json'), undefined);
  });

  test('schemaFromExample: keys required, "..." members ignored, null and [] open', () => {
    assert.deepEqual(schemaFromExample({ id: 'x', n: 1, tags: [], extra: null, '...': '...' }), {
      type: 'object',
      required: ['id', 'n', 'tags', 'extra'],
      properties: {
        id: { type: ['string', 'null'] },
        n: { type: ['number', 'null'] },
        tags: { type: 'array' },
        extra: true,
      },
    });
  });

  test('`:param` templates match like `{param}`', () => {
    const document = parseYaml(`
sections:
  - id: links
    endpoints:
      - method: GET
        path: /share/:token
        example_response: |
          { "token": "abc", "downloads": 1 }
      - method: GET
        path: /share/latest
`);
    const contract = Contract.fromDocument(document, { name: 'links' });
    const result = contract.validateResponse(
      'GET',
      '/share/t0k?password=x',
      json(200, { token: 't0k', downloads: 2 }),
    );
    assert.equal(result.operation, 'GET /share/:token');
    assert.deepEqual(result.errors, []);
    assert.equal(
      contract.validateResponse('GET', '/share/latest', json(200, [])).operation,
      'GET /share/latest',
    );
  });
});
