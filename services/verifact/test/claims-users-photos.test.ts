import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fixture, signCapture, TRAINED_ALGORITHMIC } from './support/captures.js';
import { Harness, multipart, type TestTenant } from './support/harness.js';

let h: Harness;
let tenant: TestTenant;

before(async () => {
  h = await Harness.boot();
  tenant = await h.tenant();
});
after(() => h?.close());

const upload = (key: string, bytes: Buffer, fields: Record<string, string>, filename = 'site.jpg') =>
  h.call({
    method: 'POST',
    url: '/api/v1/photos',
    key,
    ...multipart([
      ...Object.entries(fields).map(([name, value]) => ({ name, value })),
      { name: 'photo', value: bytes, filename, contentType: 'image/jpeg' },
    ]),
  });

describe('users', () => {
  test('create returns a one-time password (argon2id at rest) and mails it', async () => {
    const email = `Mixed.Case-${Date.now()}@Example.com`;
    const response = await h.call({
      method: 'POST',
      url: '/api/v1/users',
      key: tenant.admin,
      payload: { email, name: 'Asha Rao', role: 'surveyor', surveyorLicense: 'IRDAI/SLA/1' },
    });
    assert.equal(response.statusCode, 201);
    const body = response.json();
    assert.equal(body.welcomeEmailSent, true);
    const stored = await h
      .deps()
      .database.kysely.selectFrom('users')
      .select('password_hash')
      .where('id', '=', body.id)
      .executeTakeFirstOrThrow();
    assert.match(stored.password_hash, /^\$argon2id\$/);
    const mails = await h.booted.context.mailer.list();
    assert.ok(mails.some((mail) => mail.to.includes(email) && mail.text.includes(body.temporaryPassword)));
    const again = await h.call({ method: 'GET', url: `/api/v1/users/${body.id}`, key: tenant.admin });
    assert.equal(again.json().temporaryPassword, undefined);
    const duplicate = await h.call({
      method: 'POST',
      url: '/api/v1/users',
      key: tenant.admin,
      payload: { email: email.toLowerCase(), name: 'Other', role: 'siu' },
    });
    assert.equal(duplicate.statusCode, 409);
    // Another tenant may use the same email.
    const other = await h.tenant();
    const elsewhere = await h.call({
      method: 'POST',
      url: '/api/v1/users',
      key: other.admin,
      payload: { email, name: 'Asha Rao', role: 'siu' },
    });
    assert.equal(elsewhere.statusCode, 201);
  });

  test('licence rules: 422 on create, 400 on PATCH; email/role immutable; empty PATCH 400', async () => {
    const noLicence = await h.call({
      method: 'POST',
      url: '/api/v1/users',
      key: tenant.admin,
      payload: { email: 'a1@example.com', name: 'A', role: 'surveyor' },
    });
    assert.equal(noLicence.statusCode, 422);
    const wrongRole = await h.call({
      method: 'POST',
      url: '/api/v1/users',
      key: tenant.admin,
      payload: { email: 'a2@example.com', name: 'A', role: 'adjuster', surveyorLicense: 'X' },
    });
    assert.equal(wrongRole.statusCode, 422);
    const admin = await h.call({
      method: 'POST',
      url: '/api/v1/users',
      key: tenant.admin,
      payload: { email: 'a3@example.com', name: 'A', role: 'tenant_admin' },
    });
    assert.equal(admin.statusCode, 400);
    const adjuster = await tenant.user('adjuster');
    for (const payload of [{ surveyorLicense: 'X' }, { email: 'x@example.com' }, { role: 'siu' }, {}]) {
      const response = await h.call({
        method: 'PATCH',
        url: `/api/v1/users/${adjuster}`,
        key: tenant.admin,
        payload,
      });
      assert.equal(response.statusCode, 400, JSON.stringify(payload));
    }
    const renamed = await h.call({
      method: 'PATCH',
      url: `/api/v1/users/${adjuster}`,
      key: tenant.admin,
      payload: { name: 'Renamed', active: false },
    });
    assert.deepEqual(
      [renamed.statusCode, renamed.json().name, renamed.json().active],
      [200, 'Renamed', false],
    );
    const activeOnly = (await h.call({ method: 'GET', url: '/api/v1/users', key: tenant.admin })).json();
    assert.ok(!activeOnly.data.some((user: { id: string }) => user.id === adjuster));
    const all = (
      await h.call({ method: 'GET', url: '/api/v1/users?active=false', key: tenant.admin })
    ).json();
    assert.ok(all.data.some((user: { id: string }) => user.id === adjuster));
  });

  test('scopes: GET /users takes any of claims:read|claims:write|users:write; PATCH needs users:write', async () => {
    const user = await tenant.user('siu');
    for (const scope of ['claims:read', 'claims:write', 'users:write']) {
      assert.equal(
        (await h.call({ method: 'GET', url: '/api/v1/users', key: await tenant.key(scope) })).statusCode,
        200,
      );
    }
    const reportOnly = await tenant.key('report');
    const list = await h.call({ method: 'GET', url: '/api/v1/users', key: reportOnly });
    assert.deepEqual([list.statusCode, list.json().scope], [403, 'claims:read']);
    assert.equal(
      (await h.call({ method: 'GET', url: `/api/v1/users/${user}`, key: reportOnly })).statusCode,
      200,
    );
    const patch = await h.call({
      method: 'PATCH',
      url: `/api/v1/users/${user}`,
      key: reportOnly,
      payload: { name: 'x' },
    });
    assert.deepEqual([patch.statusCode, patch.json().scope], [403, 'users:write']);
  });
});

describe('claims', () => {
  test('create: pending; surveyor absent 404, wrong role or inactive 422; adjuster too; claimNumber unique per tenant', async () => {
    const created = await tenant.claim({ estimatedAmount: 125000.5, surveyorName: 'ignored' });
    assert.equal(created.body.status, 'pending');
    assert.equal(created.body.estimatedAmount, 125000.5);
    assert.notEqual(created.body.surveyorName, 'ignored');
    const base = { policyNumber: 'P', claimType: 'motor', district: 'Pune' };
    const post = (payload: Record<string, unknown>) =>
      h.call({ method: 'POST', url: '/api/v1/claims', key: tenant.admin, payload: { ...base, ...payload } });
    assert.equal((await post({ claimNumber: 'N1', surveyorId: 'usr_missing' })).statusCode, 404);
    const siu = await tenant.user('siu');
    assert.equal((await post({ claimNumber: 'N2', surveyorId: siu })).statusCode, 422);
    const surveyor = await tenant.user('surveyor');
    await h.call({
      method: 'PATCH',
      url: `/api/v1/users/${surveyor}`,
      key: tenant.admin,
      payload: { active: false },
    });
    assert.equal((await post({ claimNumber: 'N3', surveyorId: surveyor })).statusCode, 422);
    const active = await tenant.user('surveyor');
    assert.equal(
      (await post({ claimNumber: 'N4', surveyorId: active, adjusterId: 'usr_nope' })).statusCode,
      404,
    );
    assert.equal((await post({ claimNumber: 'N5', surveyorId: active, adjusterId: siu })).statusCode, 422);
    const taken = await post({ claimNumber: created.claimNumber, surveyorId: active });
    assert.deepEqual([taken.statusCode, taken.json().code], [400, 'CLAIM_NUMBER_TAKEN']);
    const other = await h.tenant();
    await other.claim({ claimNumber: created.claimNumber });
  });

  test('transitions: billed once, approved with settledAmount, no-ops, INVALID_TRANSITION', async () => {
    const claim = await tenant.claim();
    const patch = (payload: Record<string, unknown>) =>
      h.call({ method: 'PATCH', url: `/api/v1/claims/${claim.id}`, key: tenant.admin, payload });
    assert.equal((await patch({ status: 'approved' })).statusCode, 400);
    assert.equal((await patch({ status: 'siu_flagged' })).statusCode, 400);
    const review = await patch({ status: 'under_review' });
    assert.equal(review.statusCode, 200);
    const same = await patch({ status: 'under_review' });
    assert.deepEqual([same.statusCode, same.json().updatedAt], [200, review.json().updatedAt]);
    assert.equal((await patch({ status: 'pending' })).json().code, 'INVALID_TRANSITION');
    assert.equal((await patch({ status: 'rejected', settledAmount: 5 })).statusCode, 400);
    const approved = await patch({ status: 'approved', settledAmount: 99000.25 });
    assert.equal(approved.json().status, 'approved');
    const detail = (
      await h.call({ method: 'GET', url: `/api/v1/claims/${claim.id}`, key: tenant.admin })
    ).json();
    assert.equal(detail.settledAmount, 99000.25);
    const events = await h
      .deps()
      .database.kysely.selectFrom('usage_events')
      .selectAll()
      .where('claim_id', '=', claim.id)
      .execute();
    assert.deepEqual(
      events.map((event) => [event.event, event.unit_price_paise]),
      [['claim_set_billed', 15000]],
    );
  });

  test('20 concurrent PATCHes to under_review bill one charge', async () => {
    const claim = await tenant.claim();
    const responses = await Promise.all(
      Array.from({ length: 20 }, () =>
        h.call({
          method: 'PATCH',
          url: `/api/v1/claims/${claim.id}`,
          key: tenant.admin,
          payload: { status: 'under_review' },
        }),
      ),
    );
    assert.ok(responses.every((response) => response.statusCode === 200));
    const events = await h
      .deps()
      .database.kysely.selectFrom('usage_events')
      .select('id')
      .where('claim_id', '=', claim.id)
      .where('event', '=', 'claim_set_billed')
      .execute();
    assert.equal(events.length, 1);
  });

  test('list: ordered by updatedAt then id; updatedSince polling sees every change once', async () => {
    const own = await h.tenant();
    const first = await own.claim();
    const second = await own.claim();
    const page = (await h.call({ method: 'GET', url: '/api/v1/claims?limit=200', key: own.admin })).json();
    assert.deepEqual(
      page.data.map((claim: { id: string }) => claim.id),
      [first.id, second.id],
    );
    const cursor = page.data[1].updatedAt;
    await h.call({
      method: 'PATCH',
      url: `/api/v1/claims/${first.id}`,
      key: own.admin,
      payload: { status: 'under_review' },
    });
    const delta = (
      await h.call({
        method: 'GET',
        url: `/api/v1/claims?updatedSince=${encodeURIComponent(cursor)}`,
        key: own.admin,
      })
    ).json();
    assert.deepEqual(
      delta.data.map((claim: { id: string }) => claim.id),
      [first.id],
    );
    const times = page.data.map((claim: { updatedAt: string }) => claim.updatedAt);
    assert.ok(times[0] < times[1]);
    assert.equal(
      (await h.call({ method: 'GET', url: '/api/v1/claims?limit=500', key: own.admin })).statusCode,
      400,
    );
    assert.equal(
      (await h.call({ method: 'GET', url: '/api/v1/claims?updatedSince=soon', key: own.admin })).statusCode,
      400,
    );
    const filtered = (
      await h.call({ method: 'GET', url: '/api/v1/claims?status=under_review', key: own.admin })
    ).json();
    assert.deepEqual([filtered.meta.total, filtered.data[0].id], [1, first.id]);
  });

  test('tenant matrix: foreign claim, user, photo, report, triage → 404; lists never cross', async () => {
    const mine = await tenant.claim();
    const photo = (await upload(tenant.admin, fixture('C.jpg'), { claimId: mine.id })).json();
    const triaged = await h.call({
      method: 'POST',
      url: '/api/v1/triage',
      key: tenant.admin,
      ...multipart([
        { name: 'claimId', value: mine.id },
        { name: 'photo', value: fixture('C.jpg'), filename: 'c.jpg' },
      ]),
    });
    assert.equal(triaged.statusCode, 200, triaged.body);
    const mineTriage = `/api/v1/triage/${triaged.json().id}`;
    assert.equal((await h.call({ method: 'GET', url: mineTriage, key: tenant.admin })).statusCode, 200);
    const other = await h.tenant();
    const foreign = [
      ['GET', `/api/v1/claims/${mine.id}`],
      ['PATCH', `/api/v1/claims/${mine.id}`],
      ['GET', `/api/v1/report/${mine.id}`],
      ['GET', `/api/v1/photos/${photo.photoId}/download`],
      ['GET', `/api/v1/users/${mine.body.surveyorId}`],
      ['PATCH', `/api/v1/users/${mine.body.surveyorId}`],
      ['GET', mineTriage],
    ] as const;
    for (const [method, url] of foreign) {
      const response = await h.call({
        method,
        url,
        key: other.admin,
        ...(method === 'PATCH'
          ? { payload: url.includes('claims') ? { status: 'under_review' } : { name: 'x' } }
          : {}),
      });
      assert.equal(response.statusCode, 404, `${method} ${url}`);
    }
    const upload404 = await upload(other.admin, fixture('C.jpg'), { claimId: mine.id });
    assert.equal(upload404.statusCode, 404);
    const list = (await h.call({ method: 'GET', url: '/api/v1/claims', key: other.admin })).json();
    assert.equal(list.meta.total, 0);
  });
});

describe('photos', () => {
  test('upload by claimId or claimNumber; none or disagreeing 400; same bytes same claim → same photo', async () => {
    const claim = await tenant.claim();
    const other = await tenant.claim();
    const byId = await upload(
      tenant.admin,
      fixture('C.jpg'),
      { claimId: claim.id },
      '../../etc/pa"ss\r\n.jpg',
    );
    assert.equal(byId.statusCode, 201);
    const body = byId.json();
    assert.equal(body.verifyStatus, 'unverified');
    assert.match(body.fileHash, /^[0-9a-f]{64}$/);
    assert.ok(!/[\\/"\r\n]/.test(body.filename));
    const again = await upload(tenant.admin, fixture('C.jpg'), { claimNumber: claim.claimNumber });
    assert.equal(again.json().photoId, body.photoId);
    assert.equal((await upload(tenant.admin, fixture('C.jpg'), {})).statusCode, 400);
    assert.equal(
      (await upload(tenant.admin, fixture('C.jpg'), { claimId: claim.id, claimNumber: other.claimNumber }))
        .statusCode,
      400,
    );
    assert.equal(
      (await upload(tenant.admin, Buffer.from('not an image at all'), { claimId: claim.id })).statusCode,
      400,
    );
    const detail = (
      await h.call({ method: 'GET', url: `/api/v1/claims/${claim.id}`, key: tenant.admin })
    ).json();
    assert.equal(detail.photoCount, 1);
  });

  test('verify of the same bytes updates the photo: verified / third_party / ai_generated / tampered / unverified', async () => {
    const claim = await tenant.claim();
    const photos = {
      verified: signCapture({ binding: { claimNumber: claim.claimNumber, insurerCode: tenant.code } }),
      third_party: fixture('C.jpg'),
      ai_generated: signCapture({ sourceType: TRAINED_ALGORITHMIC }),
      tampered: fixture('XCA.jpg'),
      unverified: fixture('IMG_0003.jpg'),
    };
    const ids: Record<string, string> = {};
    for (const [expected, bytes] of Object.entries(photos)) {
      const uploaded = await upload(tenant.admin, bytes, { claimId: claim.id });
      assert.equal(uploaded.statusCode, 201, uploaded.body);
      assert.equal(uploaded.json().verifyStatus, 'unverified');
      ids[expected] = uploaded.json().photoId;
    }
    for (const bytes of Object.values(photos)) {
      const form = multipart([{ name: 'photo', value: bytes, filename: 'p.jpg' }]);
      assert.equal(
        (await h.call({ method: 'POST', url: '/api/v1/verify', key: tenant.admin, ...form })).statusCode,
        200,
      );
    }
    const detail = (
      await h.call({ method: 'GET', url: `/api/v1/claims/${claim.id}`, key: tenant.admin })
    ).json();
    const status = Object.fromEntries(
      detail.photos.map((entry: { id: string; verifyStatus: string }) => [entry.id, entry.verifyStatus]),
    );
    for (const [expected, id] of Object.entries(ids)) assert.equal(status[id], expected, expected);
  });

  test('download: type, attachment name, ETag; If-None-Match → 304 without an event; 200 meters photo_downloaded', async () => {
    const claim = await tenant.claim();
    const bytes = fixture('CA.jpg');
    const photo = (await upload(tenant.admin, bytes, { claimId: claim.id }, 'site photo.jpg')).json();
    const key = await tenant.key('claims:read');
    const url = `/api/v1/photos/${photo.photoId}/download`;
    const response = await h.call({ method: 'GET', url, key });
    assert.equal(response.statusCode, 200);
    assert.ok(response.rawPayload.equals(bytes));
    assert.equal(response.headers['content-type'], 'image/jpeg');
    assert.equal(response.headers['content-disposition'], 'attachment; filename="site photo.jpg"');
    assert.equal(response.headers.etag, `"${photo.fileHash}"`);
    for (const match of [
      `"${photo.fileHash}"`,
      `W/"${photo.fileHash}"`,
      `"other", "${photo.fileHash}"`,
      '*',
    ]) {
      const cached = await h.call({ method: 'GET', url, key, headers: { 'if-none-match': match } });
      assert.equal(cached.statusCode, 304, match);
    }
    assert.equal(
      (await h.call({ method: 'GET', url, key, headers: { 'if-none-match': '"other"' } })).statusCode,
      200,
    );
    const events = await h
      .deps()
      .database.kysely.selectFrom('usage_events')
      .select('event')
      .where('tenant_id', '=', tenant.id)
      .where('event', '=', 'photo_downloaded')
      .execute();
    assert.equal(events.length, 2);
    // Storage failing → 502.
    await h
      .deps()
      .database.kysely.updateTable('photos')
      .set({ storage_key: 'verifact/photos/missing/nothing' })
      .where('id', '=', photo.photoId)
      .execute();
    const broken = await h.call({ method: 'GET', url, key });
    assert.deepEqual([broken.statusCode, broken.json().code], [502, 'STORAGE_UNAVAILABLE']);
  });
});
