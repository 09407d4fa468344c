import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type BootedService, holdEveryClient, type ServiceHarness } from '@trustplane/kernel/testkit';
import { biometryService } from '../src/index.js';
import { type BiometryClient, bootBiometry, contract, jobBody, mintKey } from './helpers.js';

describe('biometry API (no workers)', () => {
  let harness: ServiceHarness<BiometryClient>;
  let booted: BootedService;
  let key: string;
  let otherKey: string;

  before(async () => {
    harness = await bootBiometry();
    booted = harness.booted;
    key = await mintKey(booted, 'client A');
    otherKey = await mintKey(booted, 'client B');
  });
  after(async () => booted?.close());

  const inject = async (
    method: 'GET' | 'POST',
    url: string,
    options: { key?: string | null; payload?: unknown; raw?: string } = {},
  ) => {
    const headers: Record<string, string> = {};
    if (options.key !== null) headers['x-service-api-key'] = options.key ?? key;
    if (options.raw !== undefined) headers['content-type'] = 'application/json';
    // Checked against the seed, and the README's 401/404 `{detail}` (see checkBiometryResponse).
    return harness.inject({
      method,
      url,
      headers,
      ...(options.raw !== undefined
        ? { payload: options.raw }
        : options.payload !== undefined
          ? { payload: options.payload as object }
          : {}),
    });
  };

  it('serves the home page, health and version', async () => {
    const home = await inject('GET', '/', { key: null });
    assert.equal(home.statusCode, 200);
    assert.match(home.headers['content-type'] as string, /text\/html/);
    assert.match(home.body, /href="\/docs"/);
    const health = await inject('GET', '/health', { key: null });
    assert.equal(health.statusCode, 200);
    assert.equal(health.json().database.status, 'ok');
    const version = await inject('GET', '/version', { key: null });
    assert.equal(version.json().models['face-api'], '1.7.15');
  });

  it('health with every pool client taken: 200 degraded, the pool named busy, worker counts left out', async () => {
    const { pool } = booted.context.database();
    const release = await holdEveryClient(pool);
    try {
      const health = await inject('GET', '/health', { key: null });
      assert.equal(health.statusCode, 200);
      const body = health.json();
      assert.equal(body.status, 'degraded');
      assert.equal(body.database.status, 'ok');
      assert.equal(body.database.pool.busy, true);
      assert.equal(body.database.pool.idle, 0);
      assert.equal(body.workers, null);
    } finally {
      release();
    }
    const released = (await inject('GET', '/health', { key: null })).json();
    assert.equal(released.database.pool.busy, false);
    assert.notEqual(released.workers, null);
  });

  it('answers 422 with a header loc when the key is missing, 401 when unknown or revoked', async () => {
    const missing = await inject('GET', '/jobs/results', { key: null });
    assert.equal(missing.statusCode, 422);
    assert.deepEqual(missing.json().detail[0].loc, ['header', 'x-service-api-key']);
    assert.equal(missing.json().detail[0].type, 'missing');
    const unknown = await inject('GET', '/jobs/results', { key: 'bio_nope' });
    assert.equal(unknown.statusCode, 401);
    assert.equal(typeof unknown.json().detail, 'string');
    const revokable = await mintKey(booted, 'to revoke');
    const revoke = biometryService.commands?.find((command) => command.path.join(' ') === 'key revoke');
    const listed = await biometryService.commands
      ?.find((command) => command.path.join(' ') === 'key list')
      ?.run(booted.context, {});
    const entry = ((listed?.keys ?? []) as { id: string; name: string }[]).find(
      (candidate) => candidate.name === 'to revoke',
    );
    assert.ok(entry);
    await revoke?.run(booted.context, { id: entry.id });
    const revoked = await inject('GET', '/jobs/results', { key: revokable });
    assert.equal(revoked.statusCode, 401);
  });

  it('rejects malformed JSON and bad fields with detail[] locations', async () => {
    const malformed = await inject('POST', '/jobs/submit', { raw: '{"citizen_code":' });
    assert.equal(malformed.statusCode, 422);
    assert.equal(malformed.json().detail[0].type, 'json_invalid');
    const bad = await inject('POST', '/jobs/submit', {
      payload: { ...jobBody(), document_type: 'DRIVING', declared_identity: { first_name: 'A' } },
    });
    assert.equal(bad.statusCode, 422);
    const locs = bad.json().detail.map((detail: { loc: unknown[] }) => detail.loc.join('.'));
    assert.ok(locs.includes('body.document_type'), locs.join(','));
    assert.ok(locs.includes('body.declared_identity.last_name'), locs.join(','));
    const limit = await inject('GET', '/jobs/results?limit=0');
    assert.equal(limit.statusCode, 422);
    assert.deepEqual(limit.json().detail[0].loc, ['query', 'limit']);
  });

  it('answers 422 detail[] for every other malformed request, never 500', async () => {
    const cases = [
      { method: 'POST' as const, url: '/jobs/submit', payload: 'not json', type: 'text/plain' },
      { method: 'POST' as const, url: '/jobs/submit', payload: '', type: 'application/json' },
      { method: 'POST' as const, url: '/jobs/submit', payload: '[]', type: 'application/json' },
      { method: 'POST' as const, url: '/jobs/ack', payload: '{"job_ids":"job_1"}', type: 'application/json' },
      {
        method: 'POST' as const,
        url: '/jobs/submit-batch',
        payload: '{"jobs":[]}',
        type: 'application/json',
      },
      { method: 'GET' as const, url: '/jobs/results?limit=abc' },
      { method: 'GET' as const, url: '/jobs/results?limit=1001' },
    ];
    for (const request of cases) {
      const response = await booted.app.inject({
        method: request.method,
        url: request.url,
        headers: { 'x-service-api-key': key, ...(request.type ? { 'content-type': request.type } : {}) },
        ...(request.payload !== undefined ? { payload: request.payload } : {}),
      });
      assert.equal(
        response.statusCode,
        422,
        `${request.method} ${request.url} ${request.payload}: ${response.body}`,
      );
      const detail = response.json().detail;
      assert.ok(Array.isArray(detail) && detail.length > 0);
      for (const item of detail) {
        assert.ok(Array.isArray(item.loc) && typeof item.msg === 'string' && typeof item.type === 'string');
      }
      contract.assertResponse(request.method, request.url.split('?')[0] as string, response);
    }
  });

  it('rejects images that are not real JPEG/PNG/WebP, naming the field', async () => {
    const notImage = await inject('POST', '/jobs/submit', {
      payload: jobBody({ selfie_b64: Buffer.from('hello world').toString('base64') }),
    });
    assert.equal(notImage.statusCode, 422);
    assert.deepEqual(notImage.json().detail[0].loc, ['body', 'selfie_b64']);
    const truncated = jobBody();
    const jpeg = Buffer.from(truncated.cni_recto_b64 as string, 'base64');
    const broken = await inject('POST', '/jobs/submit', {
      payload: { ...truncated, cni_recto_b64: jpeg.subarray(0, 400).toString('base64') },
    });
    assert.equal(broken.statusCode, 422);
    assert.deepEqual(broken.json().detail[0].loc, ['body', 'cni_recto_b64']);
    const oversize = Buffer.concat([
      Buffer.from([0xff, 0xd8, 0xff, 0xe0]),
      Buffer.alloc(10 * 1024 * 1024 + 1),
    ]);
    const tooLarge = await inject('POST', '/jobs/submit', {
      payload: jobBody({ selfie_b64: oversize.toString('base64') }),
    });
    assert.equal(tooLarge.statusCode, 422);
    assert.equal(tooLarge.json().detail[0].type, 'image_too_large');
    const badBase64 = await inject('POST', '/jobs/submit', { payload: jobBody({ cni_verso_b64: '***' }) });
    assert.equal(badBase64.statusCode, 422);
    assert.deepEqual(badBase64.json().detail[0].loc, ['body', 'cni_verso_b64']);
  });

  it('queues jobs, orders high priority first, isolates clients and counts acks', async () => {
    const first = await inject('POST', '/jobs/submit', { payload: jobBody() });
    assert.equal(first.statusCode, 202);
    assert.equal(first.json().status, 'queued');
    const normal = await inject('POST', '/jobs/submit', { payload: jobBody({ citizen_code: 'CIT-002' }) });
    const high = await inject('POST', '/jobs/submit', {
      payload: jobBody({ citizen_code: 'CIT-003', priority: 'high' }),
    });
    assert.ok(high.json().queue_position < normal.json().queue_position);
    const status = await inject('GET', `/jobs/${first.json().job_id}`);
    assert.equal(status.statusCode, 200);
    assert.equal(status.json().status, 'queued');
    const foreign = await inject('GET', `/jobs/${first.json().job_id}`, { key: otherKey });
    assert.equal(foreign.statusCode, 404);
    const ack = await inject('POST', '/jobs/ack', {
      payload: { job_ids: [first.json().job_id, 'job_missing'] },
    });
    assert.deepEqual(ack.json(), { acked: 0, not_found: 2 });
    const results = await inject('GET', '/jobs/results');
    assert.equal(results.json().returned, 0);
    assert.ok(results.json().queue_depth >= 3);
  });

  it('validates batches all-or-nothing and caps them at 100', async () => {
    const before = (await inject('GET', '/jobs/results')).json().queue_depth;
    const mixed = await inject('POST', '/jobs/submit-batch', {
      payload: { jobs: [jobBody(), jobBody({ selfie_b64: Buffer.from('nope').toString('base64') })] },
    });
    assert.equal(mixed.statusCode, 422);
    assert.deepEqual(mixed.json().detail[0].loc, ['body', 'jobs', 1, 'selfie_b64']);
    assert.equal((await inject('GET', '/jobs/results')).json().queue_depth, before);
    const tooMany = await inject('POST', '/jobs/submit-batch', {
      payload: { jobs: Array.from({ length: 101 }, () => ({})) },
    });
    assert.equal(tooMany.statusCode, 422);
    const batch = await inject('POST', '/jobs/submit-batch', {
      payload: { jobs: [jobBody(), jobBody({ citizen_code: 'B2' })] },
    });
    assert.equal(batch.statusCode, 202);
    assert.equal(batch.json().total, 2);
    assert.equal(batch.json().job_ids.length, 2);
  });
});
