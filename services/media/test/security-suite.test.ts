import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before } from 'node:test';
import { perTenant, type SecuritySuite, securitySuiteTests } from '@trustplane/kernel/testkit';
import { decodeJwt } from 'jose';
import { errorCode, type Harness, multipartBody, startHarness, type TestUser } from './support/harness.js';

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(async () => {
  await h?.close();
});

async function upload(user: TestUser): Promise<string> {
  const response = await h.upload(user, { name: 'note.txt', type: 'text/plain', data: Buffer.from('hello') });
  assert.equal(response.statusCode, 201, response.body);
  return response.json().id;
}

const mediaOf = perTenant(upload);

async function folder(user: TestUser, parentId?: string): Promise<string> {
  const name = `Folder ${randomUUID().slice(0, 8)}`;
  const response = await h.call({
    method: 'POST',
    url: '/folders',
    payload: parentId ? { name, parent_id: parentId } : { name },
    headers: user.auth,
  });
  assert.equal(response.statusCode, 201, response.body);
  return response.json().id;
}

const folderOf = perTenant((user: TestUser) => folder(user));
/** A folder inside the user's folder: a root folder cannot be renamed (seed: 400 root_folder_immutable). */
const subfolderOf = perTenant(async (user: TestUser) => folder(user, await folderOf(user)));

async function sharedLink(user: TestUser): Promise<string> {
  const response = await h.call({
    method: 'POST',
    url: `/media/${await mediaOf(user)}/share`,
    payload: {},
    headers: user.auth,
  });
  assert.equal(response.statusCode, 201, response.body);
  return response.json().id;
}

const suite: SecuritySuite<TestUser> = {
  schemes: {
    // Access tokens account issues (here signed by the stand-in for account's JWKS).
    jwt: {
      credential: (user) => user.token,
      malformed: 'eyJhbGciOiJSUzI1NiJ9.bm90LWEtdG9rZW4.c2lnbmF0dXJl',
      // What account's logout does: the session id goes into platform.revocations in the logout's
      // transaction, then is announced; media's verifier refuses the token from then on.
      async revoked(user) {
        const token = await h.account.token({ sub: user.sub, org_id: user.orgId });
        const { sid } = decodeJwt(token);
        const revocations = h.booted.context.revocations;
        const recorded = await revocations.record(h.booted.context.database().pool, [
          { kind: 'session', id: String(sid), until: new Date(Date.now() + 3_600_000) },
        ]);
        revocations.announce(recorded);
        return token;
      },
      place: (credential) => ({ headers: { authorization: `Bearer ${credential}` } }),
      expect: {
        missing: { status: 401, code: 'unauthenticated' },
        malformed: { status: 401, code: 'invalid_token' },
        revoked: { status: 401, code: 'invalid_token' },
        foreign: { status: 404, code: 'media_not_found' },
      },
    },
  },
  operations: {
    'POST /folders': {
      scheme: 'jwt',
      request: () => ({ payload: { name: `New ${randomUUID().slice(0, 8)}` } }),
    },
    'GET /folders': 'jwt',
    'PATCH /folders/{id}': {
      scheme: 'jwt',
      params: { id: subfolderOf },
      expect: { foreign: { status: 404, code: 'folder_not_found' } },
      request: () => ({ payload: { name: `Renamed ${randomUUID().slice(0, 8)}` } }),
    },
    'GET /folders/{id}/contents': {
      scheme: 'jwt',
      params: { id: folderOf },
      expect: { foreign: { status: 404, code: 'folder_not_found' } },
    },
    'DELETE /folders/{id}': {
      scheme: 'jwt',
      params: { id: (user) => folder(user) },
      expect: { foreign: { status: 404, code: 'folder_not_found' } },
    },
    'GET /media': 'jwt',
    'GET /media/{id}': 'jwt',
    'GET /media/{id}/info': 'jwt',
    'PATCH /media/{id}': { scheme: 'jwt', request: () => ({ payload: { original_name: 'renamed.txt' } }) },
    'PATCH /media/{id}/visibility': {
      scheme: 'jwt',
      request: () => ({ payload: { visibility: 'private' } }),
    },
    'DELETE /media/{id}': { scheme: 'jwt', params: { id: upload } },
    'GET /recent': 'jwt',
    'POST /media/{id}/track': { scheme: 'jwt', request: () => ({ payload: { access_type: 'view' } }) },
    'DELETE /recent': 'jwt',
    'POST /media/{id}/share': { scheme: 'jwt', request: () => ({ payload: {} }) },
    'GET /shared-links': 'jwt',
    'DELETE /shared-links/{id}': {
      scheme: 'jwt',
      params: { id: sharedLink },
      expect: { foreign: { status: 404, code: 'shared_link_not_found' } },
    },
    'GET /starred': 'jwt',
    'POST /media/{id}/star': { scheme: 'jwt', request: () => ({ payload: { notes: 'suite' } }) },
    'DELETE /media/{id}/star': {
      scheme: 'jwt',
      skip: {
        foreign:
          'unstar removes only the caller’s own star and, idempotent as the seed says, answers any id alike: nothing of the owner is touched or shown',
      },
    },
    'POST /media/{id}/toggle-star': 'jwt',
    'POST /starred/check': {
      scheme: 'jwt',
      request: async ({ tenant }) => ({ payload: { media_ids: [await mediaOf(tenant)] } }),
    },
    'POST /upload': {
      scheme: 'jwt',
      request: () => {
        const { payload, headers } = multipartBody([
          { field: 'file', filename: 'upload.txt', type: 'text/plain', data: Buffer.from('suite') },
        ]);
        return { payload, headers };
      },
    },
  },
  resources: { id: mediaOf },
  errorCode,
};

securitySuiteTests(() => h.service, suite, { covered: 23, public: ['GET /health', 'GET /share/{token}'] });
