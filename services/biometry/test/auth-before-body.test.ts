import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  assertAnsweredUnread,
  type BootedService,
  bootService,
  Contract,
  type StreamedResponse,
  streamJsonBody,
} from '@trustplane/kernel/testkit';
import { biometryService } from '../src/index.js';
import { mintKey } from './helpers.js';

const contract = Contract.forService(biometryService);
const SIXTY_MB = 60 * 1024 * 1024;

/** What the issue measured: a 60 MB JSON body, generated while it is sent. */
function send(
  base: string,
  path: string,
  key: string | undefined,
  options: { chunked?: boolean } = {},
): Promise<StreamedResponse> {
  return streamJsonBody(`${base}${path}`, {
    headers: key === undefined ? {} : { 'x-service-api-key': key },
    size: SIXTY_MB,
    field: 'selfie_b64',
    ...options,
  });
}

describe('biometry checks the service key before reading a body', () => {
  let booted: BootedService;
  let base: string;
  let key: string;

  before(async () => {
    booted = await bootService(biometryService);
    key = await mintKey(booted);
    base = await booted.app.listen({ port: 0, host: '127.0.0.1' });
  });
  after(async () => booted?.close());

  it('answers a wrong key 401 while a 60 MB body is still being sent', async () => {
    for (const path of ['/jobs/submit', '/jobs/submit-batch', '/jobs/ack']) {
      for (const chunked of [false, true]) {
        const response = await send(base, path, 'bio_wrong', { chunked });
        assert.deepEqual(assertAnsweredUnread(response, 401), { detail: 'Invalid or revoked API key' });
      }
    }
  });

  it('answers a missing key with the seed 422 header location, before the body', async () => {
    const response = await send(base, '/jobs/submit', undefined);
    assert.deepEqual(assertAnsweredUnread(response, 422), {
      detail: [{ loc: ['header', 'x-service-api-key'], msg: 'Field required', type: 'missing' }],
    });
    contract.assertResponse('POST', '/jobs/submit', response);
  });

  it('refuses an oversize body from a valid client with 422 too_large, without reading it', async () => {
    for (const chunked of [false, true]) {
      const response = await send(base, '/jobs/submit', key, { chunked });
      const { detail } = assertAnsweredUnread<{ detail: { loc: string[]; type: string }[] }>(response, 422);
      assert.deepEqual(detail[0]?.loc, ['body']);
      assert.equal(detail[0]?.type, 'too_large');
    }
    // The ack route only ever needs a list of ids.
    const ack = await streamJsonBody(`${base}/jobs/ack`, {
      headers: { 'x-service-api-key': key },
      size: 1024 * 1024,
      field: 'job_ids',
    });
    assert.equal(ack.statusCode, 422);
    assert.equal(JSON.parse(ack.body).detail[0].type, 'too_large');
  });

  it('does not buffer ten parallel 60 MB bodies sent with a wrong key', async () => {
    global.gc?.();
    const before = process.memoryUsage().rss;
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => send(base, '/jobs/submit', 'bio_wrong')),
    );
    const grown = process.memoryUsage().rss - before;
    for (const response of responses) {
      assert.equal(response.statusCode, 401);
      assert.equal(response.finishedSending, false);
    }
    // Buffering them would take 600 MB and more; the client side reuses one 64 KiB chunk.
    assert.ok(grown < 150 * 1024 * 1024, `RSS grew by ${Math.round(grown / 1024 / 1024)} MB`);
  });
});
