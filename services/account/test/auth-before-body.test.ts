import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  assertAnsweredUnread,
  type JsonBodySender,
  listenForJsonBodies,
  type StreamedResponse,
} from '@trustplane/kernel/testkit';
import { bearer, contract, Harness, testEnv } from './helpers.js';

testEnv();

let h: Harness;
let send: JsonBodySender;
before(async () => {
  h = await Harness.boot();
  send = await listenForJsonBodies(h.app, 'name');
});
after(async () => h?.close());

/** Answered in the seed envelope while the client was still sending: the body was never read. */
function assertRefusedEarly(response: StreamedResponse, status: number, code: number, message?: RegExp) {
  const body = assertAnsweredUnread<{ success: boolean; code: number; message: string }>(response, status);
  assert.deepEqual([body.success, body.code], [false, code]);
  if (message) assert.match(body.message, message);
}

describe('account checks credentials before reading a body', () => {
  test('protected routes: missing, wrong or unknown credentials are 401/4003 before the body', async () => {
    const path = '/api/v1/organizations';
    const attempts: Record<string, string>[] = [{}, bearer('not.a.jwt'), { 'x-api-key': 'ak_wrong' }];
    for (const headers of attempts) {
      const response = await send('POST', path, headers);
      assertRefusedEarly(response, 401, 4003);
      contract.assertResponse('POST', path, response);
    }
  });

  test('token exchange checks its X-API-Key before the body', async () => {
    const path = '/api/v1/auth/token-exchange';
    const wrong = await send('POST', path, { 'x-api-key': 'ak_wrong' });
    assertRefusedEarly(wrong, 401, 4003, /Invalid API key/);
    contract.assertResponse('POST', path, wrong);
    const missing = await send('POST', path, {});
    assertRefusedEarly(missing, 400, 4000, /x-api-key/i);
    contract.assertResponse('POST', path, missing);
  });

  test('a valid caller with an oversize body gets 400/4000 "too large", unread', async () => {
    const user = await h.register();
    const streamed = await send('POST', '/api/v1/organizations', bearer(user.accessToken));
    assertRefusedEarly(streamed, 400, 4000, /too large/);
    // Just over the 128 KiB limit, sent whole: refused on size, not on its (invalid) fields.
    const over = await send('POST', '/api/v1/organizations', bearer(user.accessToken), 129 * 1024);
    assert.equal(over.statusCode, 400, over.body);
    assert.match(JSON.parse(over.body).message, /too large/);
  });

  test('the profile takes a full-size model_config, and no more', async () => {
    // model_config belongs to service accounts: a service account's own API key edits it.
    const owner = await h.verifiedUser();
    const created = await h.call({
      method: 'POST',
      url: '/api/v1/service-accounts',
      headers: bearer(owner.accessToken),
      payload: {
        organization_id: owner.orgId,
        display_name: 'Config bot',
        capabilities: ['museum:read'],
        allowed_tools: [],
      },
    });
    assert.equal(created.statusCode, 201, created.body);
    const minted = await h.call({
      method: 'POST',
      url: `/api/v1/service-accounts/${created.json().data.account_id}/api-keys`,
      headers: bearer(owner.accessToken),
      payload: { permissions: ['museum:read'] },
    });
    assert.equal(minted.statusCode, 201, minted.body);
    const apiKey = { 'x-api-key': minted.json().data.key as string };
    // 65,536 characters that JSON escapes: the largest valid profile body, ~130 KB.
    const accepted = await h.call({
      method: 'PUT',
      url: '/api/v1/me',
      headers: apiKey,
      payload: { model_config: '"'.repeat(65_536), bio: 'b'.repeat(5000) },
    });
    assert.equal(accepted.statusCode, 200, accepted.body);
    const oversize = await send('PUT', '/api/v1/me', apiKey, 600 * 1024);
    assert.equal(oversize.statusCode, 400, oversize.body);
    assert.match(JSON.parse(oversize.body).message, /too large/);
  });

  test('credentials that travel in the body are read under the 128 KiB limit only', async () => {
    for (const path of ['/api/v1/auth/login', '/api/v1/auth/refresh', '/api/v1/auth/verify']) {
      assertRefusedEarly(await send('POST', path, {}), 400, 4000, /too large/);
    }
  });
});
