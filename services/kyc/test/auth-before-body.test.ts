import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  assertAnsweredUnread,
  type JsonBodySender,
  listenForJsonBodies,
  type StreamedResponse,
} from '@trustplane/kernel/testkit';
import { contract, Harness } from './helpers.js';

let h: Harness;
let send: JsonBodySender;

before(async () => {
  h = await Harness.boot();
  send = await listenForJsonBodies(h.app, 'metadata');
});
after(async () => h?.close());

/** Answered in the seed envelope while the client was still sending: the body was never read. */
function assertRefusedEarly(response: StreamedResponse, status: number, code: string) {
  const body = assertAnsweredUnread<{ ok: boolean; error: string }>(response, status);
  assert.deepEqual([body.ok, body.error], [false, code]);
}

describe('kyc checks credentials before reading a body', () => {
  it('session creation: a wrong or missing secret key is 401 before the body', async () => {
    const path = '/api/verification/sessions';
    const wrong = await send('POST', path, { authorization: 'Bearer sk_test_wrong' });
    assertRefusedEarly(wrong, 401, 'API_KEY_INVALID');
    contract.assertResponse('POST', path, wrong);
    const missing = await send('POST', path, {});
    assertRefusedEarly(missing, 401, 'API_KEY_MISSING');
    contract.assertResponse('POST', path, missing);
  });

  it('session creation with a valid key: a body over 64 KiB is 413 without being read', async () => {
    const tenant = await h.tenant();
    const response = await send('POST', '/api/verification/sessions', {
      authorization: `Bearer ${tenant.sk}`,
    });
    assertRefusedEarly(response, 413, 'PAYLOAD_TOO_LARGE');
    // Just over the limit, fully sent: the limit itself, not only the declared length.
    const small = await send(
      'POST',
      '/api/verification/sessions',
      { authorization: `Bearer ${tenant.sk}` },
      65 * 1024,
    );
    assert.equal(small.statusCode, 413);
    const sessions = await h.kyc.database.kysely
      .selectFrom('verification_sessions')
      .select('id')
      .where('organization_id', '=', tenant.organizationId)
      .execute();
    assert.equal(sessions.length, 0);
  });

  it('operator routes: no session cookie is 401 before the body', async () => {
    assertRefusedEarly(await send('POST', '/api/organizations', {}), 401, 'UNAUTHENTICATED');
  });

  it('end-user routes: a token in X-Verification-Token or ?token= is checked before the body', async () => {
    const tenant = await h.tenant();
    const session = await h.session(tenant.sk);
    const id = session.sessionId;
    const routes: [string, string][] = [
      ['PATCH', `/api/verification/sessions/${id}`],
      ['POST', `/api/verification/sessions/${id}/presign`],
      ['POST', `/api/verification/sessions/${id}/upload-complete`],
      ['POST', `/api/verification/sessions/${id}/liveness/presign-video`],
      ['POST', `/api/verification/sessions/${id}/liveness/complete`],
      ['POST', `/api/verification/sessions/${id}/liveness/init`],
    ];
    for (const [method, path] of routes) {
      const wrongHeader = await send(method, path, { 'x-verification-token': `${session.token}x` });
      assertRefusedEarly(wrongHeader, 401, 'VERIFICATION_INVALID_TOKEN');
      const wrongQuery = await send(method, `${path}?token=nope`, {});
      assertRefusedEarly(wrongQuery, 401, 'VERIFICATION_INVALID_TOKEN');
      const unknown = await send(method, path.replace(id, randomUUID()), {
        'x-verification-token': session.token,
      });
      assertRefusedEarly(unknown, 404, 'VERIFICATION_SESSION_NOT_FOUND');
    }
    // liveness/init takes its token only from the header or the query: none at all is 401 at once.
    const none = await send('POST', `/api/verification/sessions/${id}/liveness/init`, {});
    assertRefusedEarly(none, 401, 'VERIFICATION_INVALID_TOKEN');
    // With the right token, a body over the route's limit is 413, still unread.
    const oversize = await send('PATCH', `/api/verification/sessions/${id}`, {
      'x-verification-token': session.token,
    });
    assertRefusedEarly(oversize, 413, 'PAYLOAD_TOO_LARGE');
    // A token only in the body (as the seed allows) is read under a 16 KiB limit.
    const bodyOnly = await send('PATCH', `/api/verification/sessions/${id}`, {}, 17 * 1024);
    assert.equal(bodyOnly.statusCode, 413);
    const chosen = await h.chooseType(id, session.token, 'passport');
    assert.equal(chosen.session.documentType, 'passport');
  });

  it('the header-token check keeps 410 for an expired session', async () => {
    const tenant = await h.tenant();
    const session = await h.session(tenant.sk);
    await h.kyc.database.kysely
      .updateTable('verification_sessions')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where('id', '=', session.sessionId)
      .execute();
    const response = await send('PATCH', `/api/verification/sessions/${session.sessionId}`, {
      'x-verification-token': session.token,
    });
    assertRefusedEarly(response, 410, 'VERIFICATION_EXPIRED');
  });

  it('login and signup carry credentials in the body: bounded at 64 KiB, refused unread', async () => {
    assertRefusedEarly(await send('POST', '/api/auth/login', {}), 413, 'PAYLOAD_TOO_LARGE');
    assertRefusedEarly(await send('POST', '/api/auth/signup', {}), 413, 'PAYLOAD_TOO_LARGE');
  });

  it('the internal liveness validator refuses an unsigned request before its body', async () => {
    const response = await send('POST', '/internal/liveness/validate', {});
    assertRefusedEarly(response, 401, 'UNAUTHENTICATED');
  });
});
