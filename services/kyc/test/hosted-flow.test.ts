import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { measureGrey, THRESHOLDS } from '../web/src/quality-measures.js';
import { Harness } from './helpers.js';

let h: Harness;
before(async () => {
  h = await Harness.boot();
});
after(async () => {
  await h?.close();
});

const JPEG = Buffer.from('ffd8ffe000104a46494600010100000100010000ffd9', 'hex');

async function session(
  documentType: 'passport' | 'id_card' | 'drive_eta',
  payload?: Record<string, unknown>,
) {
  const t = await h.tenant();
  const s = await h.session(t.sk, payload);
  await h.chooseType(s.sessionId, s.token, documentType);
  return { t, s };
}

async function view(s: { sessionId: string; token: string }) {
  const response = await h.call({
    method: 'GET',
    url: `/api/verification/sessions/${s.sessionId}`,
    headers: { 'x-verification-token': s.token },
  });
  assert.equal(response.statusCode, 200, response.body);
  return response.json().session as {
    capturePhase: string;
    assets: { side: string; attempt: number; unreadableReasons: string[]; retakeAllowed: boolean }[];
  };
}

async function presign(s: { sessionId: string; token: string }, side: string) {
  return h.call({
    method: 'POST',
    url: `/api/verification/sessions/${s.sessionId}/presign`,
    payload: { token: s.token, side, contentType: 'image/jpeg', byteSize: JPEG.length },
  });
}

describe('the server says when it cannot read a document, and takes a bounded number of retakes', () => {
  it('a passport page without MRZ or portrait may be captured again (the phase stays), up to 3 attempts', async () => {
    const { s } = await session('passport');
    h.scripted.next = { mrzFound: false, portrait: false };
    assert.equal((await h.upload(s.sessionId, s.token, 'single', JPEG)).statusCode, 200);
    await h.analysed(s.sessionId, s.token);
    let current = await view(s);
    assert.equal(current.capturePhase, 'poa');
    assert.deepEqual(
      current.assets.map((a) => [a.side, a.attempt, a.unreadableReasons, a.retakeAllowed]),
      [['single', 1, ['MRZ_NOT_FOUND', 'PORTRAIT_NOT_FOUND'], true]],
    );
    // Another side than the one judged unreadable is still refused.
    assert.equal((await presign(s, 'front')).statusCode, 400);
    for (const attempt of [2, 3]) {
      const retake = await h.upload(
        s.sessionId,
        s.token,
        'single',
        Buffer.concat([JPEG, Buffer.from([attempt])]),
      );
      assert.equal(retake.statusCode, 200, retake.body);
      await h.analysed(s.sessionId, s.token);
      current = await view(s);
      assert.equal(current.capturePhase, 'poa', 'a retake does not move the phase');
      const latest = current.assets.find((a) => a.attempt === attempt);
      assert.deepEqual(latest?.unreadableReasons, ['MRZ_NOT_FOUND', 'PORTRAIT_NOT_FOUND']);
      assert.equal(latest?.retakeAllowed, attempt < 3);
      // Only the newest attempt of a side offers a retake.
      assert.ok(current.assets.filter((a) => a.attempt < attempt).every((a) => !a.retakeAllowed));
    }
    // Attempts used up: the flow goes on (proof of address), a reviewer looks at the document.
    const refused = await presign(s, 'single');
    assert.equal(refused.statusCode, 400);
    assert.equal(refused.json().error, 'VALIDATION_ERROR');
    assert.equal((await h.upload(s.sessionId, s.token, 'poa', JPEG)).statusCode, 200);
    assert.equal((await view(s)).capturePhase, 'complete');
  });

  it('a readable retake ends the retakes; a retake is only offered once the verdict is in', async () => {
    const { s } = await session('passport');
    h.scripted.next = { portrait: false };
    let release = () => {};
    h.scripted.hold = new Promise<void>((resolve) => {
      release = resolve;
    });
    try {
      assert.equal((await h.upload(s.sessionId, s.token, 'single', JPEG)).statusCode, 200);
      // Not analysed yet: no verdict, no retake.
      assert.equal((await presign(s, 'single')).statusCode, 400);
    } finally {
      release();
      h.scripted.hold = undefined;
    }
    await h.analysed(s.sessionId, s.token);
    assert.deepEqual((await view(s)).assets[0]?.unreadableReasons, ['PORTRAIT_NOT_FOUND']);
    h.scripted.next = {};
    const retake = await h.upload(s.sessionId, s.token, 'single', Buffer.concat([JPEG, Buffer.from([9])]));
    assert.equal(retake.statusCode, 200, retake.body);
    await h.analysed(s.sessionId, s.token);
    const current = await view(s);
    assert.deepEqual(
      current.assets.map((a) => [a.attempt, a.unreadableReasons, a.retakeAllowed]),
      [
        [1, ['PORTRAIT_NOT_FOUND'], false],
        [2, [], false],
      ],
    );
    assert.equal((await presign(s, 'single')).statusCode, 400);
  });

  it('judges each side for what it must show: ID card front its portrait, back its MRZ; a licence needs no MRZ', async () => {
    const card = await session('id_card');
    h.scripted.next = { mrzFound: false, portrait: false };
    await h.upload(card.s.sessionId, card.s.token, 'front', JPEG);
    await h.analysed(card.s.sessionId, card.s.token);
    await h.upload(card.s.sessionId, card.s.token, 'back', Buffer.concat([JPEG, Buffer.from([1])]));
    await h.analysed(card.s.sessionId, card.s.token);
    assert.deepEqual(
      (await view(card.s)).assets.map((a) => [a.side, a.unreadableReasons]),
      [
        ['front', ['PORTRAIT_NOT_FOUND']],
        ['back', ['MRZ_NOT_FOUND']],
      ],
    );
    const licence = await session('drive_eta');
    h.scripted.next = { mrzFound: false };
    await h.upload(licence.s.sessionId, licence.s.token, 'front', JPEG);
    await h.upload(licence.s.sessionId, licence.s.token, 'back', Buffer.concat([JPEG, Buffer.from([1])]));
    await h.analysed(licence.s.sessionId, licence.s.token);
    assert.deepEqual(
      (await view(licence.s)).assets.map((a) => a.unreadableReasons),
      [[], []],
    );
    // An image the analysis cannot decode is unreadable too.
    const broken = await session('passport');
    h.scripted.next = { fail: true };
    await h.upload(broken.s.sessionId, broken.s.token, 'single', JPEG);
    await h.analysed(broken.s.sessionId, broken.s.token);
    const [asset] = (await view(broken.s)).assets;
    assert.deepEqual([asset?.unreadableReasons, asset?.retakeAllowed], [['ANALYSIS_FAILED'], true]);
    h.scripted.next = {};
  });
});

describe("the hosted page's context, consent and submit", () => {
  async function context(s: { sessionId: string; token: string }, token = s.token) {
    // The page's own routes are not seed operations: not contract-checked.
    return h.app.inject({
      method: 'GET',
      url: `/verify/${s.sessionId}/context`,
      headers: { 'x-verification-token': token },
    });
  }
  const post = (s: { sessionId: string; token: string }, action: string) =>
    h.app.inject({
      method: 'POST',
      url: `/verify/${s.sessionId}/${action}`,
      headers: { 'x-verification-token': s.token },
    });

  it("brands the page with the organization's name and logo, records consent and the end, once each", async () => {
    const operator = await h.operator();
    const created = await h.call({
      method: 'POST',
      url: '/api/organizations',
      headers: { cookie: operator.cookie },
      payload: {
        customerId: `cust-${randomUUID()}`,
        legalEmail: 'legal@example.com',
        displayName: 'Fernbank',
        logoUrl: 'https://cdn.fernbank.example/logo.svg',
      },
    });
    assert.equal(created.statusCode, 201, created.body);
    assert.equal(created.json().organization.logoUrl, 'https://cdn.fernbank.example/logo.svg');
    const keys = await h.keys(operator.cookie, created.json().organization.id);
    const s = await h.session(keys.sk, { returnUrl: 'https://fernbank.example/done' });

    const response = await context(s);
    assert.equal(response.statusCode, 200, response.body);
    assert.equal(response.headers['cache-control'], 'no-store');
    const body = response.json();
    assert.deepEqual(body.organization, {
      displayName: 'Fernbank',
      logoUrl: 'https://cdn.fernbank.example/logo.svg',
    });
    assert.deepEqual([body.expired, body.consented, body.submitted], [false, false, false]);
    assert.equal(new URL(body.returnUrl).searchParams.get('session_id'), s.sessionId);

    // The page may load the logo from its origin (only that one is added to img-src).
    const page = await h.app.inject({ method: 'GET', url: `/verify/${s.sessionId}` });
    assert.match(
      String(page.headers['content-security-policy']),
      /img-src 'self' blob: data: https:\/\/cdn\.fernbank\.example;/,
    );

    for (let i = 0; i < 2; i += 1) assert.equal((await post(s, 'consent')).statusCode, 200);
    assert.equal((await context(s)).json().consented, true);
    assert.equal((await context(s)).json().submitted, false);
    for (let i = 0; i < 2; i += 1) assert.equal((await post(s, 'submit')).statusCode, 200);
    assert.equal((await context(s)).json().submitted, true);

    const detail = await h.call({
      method: 'GET',
      url: `/api/dashboard/verifications/${s.sessionId}`,
      headers: { cookie: operator.cookie },
    });
    const events = detail.json().auditEvents.map((e: { eventType: string }) => e.eventType);
    assert.equal(events.filter((e: string) => e === 'privacy_notice_accepted').length, 1);
    assert.equal(events.filter((e: string) => e === 'session_submitted').length, 1);
  });

  it('refuses a logo that is not https', async () => {
    const operator = await h.operator();
    const response = await h.call({
      method: 'POST',
      url: '/api/organizations',
      headers: { cookie: operator.cookie },
      payload: {
        customerId: `cust-${randomUUID()}`,
        legalEmail: 'legal@example.com',
        displayName: 'Plain',
        logoUrl: 'http://plain.example/logo.png',
      },
    });
    assert.equal(response.statusCode, 400);
    assert.ok(response.json().fieldErrors.logoUrl);
  });

  it('answers an expired session (so the page can send the user back) but records nothing on it', async () => {
    const t = await h.tenant();
    const s = await h.session(t.sk, { returnUrl: 'https://tenant.example/back' });
    await h.kyc.repositories.sessions.update(s.sessionId, { expires_at: new Date(Date.now() - 1000) });
    h.kyc.sessionViews.forget(s.sessionId);
    const response = await context(s);
    assert.equal(response.statusCode, 200, response.body);
    assert.equal(response.json().expired, true);
    assert.match(response.json().returnUrl, /^https:\/\/tenant\.example\/back\?session_id=/);
    assert.equal((await post(s, 'consent')).statusCode, 410);
    assert.equal((await post(s, 'submit')).json().error, 'VERIFICATION_EXPIRED');
  });

  it('is 401 with a wrong token and 404 for an unknown session', async () => {
    const t = await h.tenant();
    const s = await h.session(t.sk);
    assert.equal((await context(s, 'nope')).statusCode, 401);
    assert.equal((await context({ sessionId: randomUUID(), token: s.token })).statusCode, 404);
    assert.equal((await context({ sessionId: 'not-a-uuid', token: s.token })).statusCode, 404);
    assert.equal((await post({ sessionId: s.sessionId, token: 'nope' }, 'submit')).statusCode, 401);
    assert.equal((await context(s)).json().consented, false);
  });
});

describe('the capture checks of the page', () => {
  function image(width: number, height: number, pixel: (x: number, y: number) => number) {
    const grey = new Uint8Array(width * height);
    for (let y = 0; y < height; y += 1) for (let x = 0; x < width; x += 1) grey[y * width + x] = pixel(x, y);
    return grey;
  }
  it('flags blurry, dark and glare-heavy images, and passes a sharp, lit one', () => {
    // Sharp: text-like black strokes on a light card.
    const sharp = image(200, 120, (x, y) => (x % 7 < 2 && y % 11 < 8 ? 20 : 215));
    assert.deepEqual(measureGrey(sharp, 200, 120).problems, []);
    // Blurry: a smooth gradient, no edges.
    assert.deepEqual(
      measureGrey(
        image(200, 120, (x) => 100 + x / 4),
        200,
        120,
      ).problems,
      ['blurry'],
    );
    // Dark: the same strokes at a low exposure.
    const dark = image(200, 120, (x, y) => (x % 7 < 2 && y % 11 < 8 ? 2 : 40));
    assert.deepEqual(measureGrey(dark, 200, 120).problems, ['dark']);
    // Glare: a third of the image clipped white.
    const glare = image(200, 120, (x, y) => (x < 70 ? 255 : x % 7 < 2 && y % 11 < 8 ? 20 : 200));
    assert.ok(measureGrey(glare, 200, 120).clipped > THRESHOLDS.maxClipped);
    assert.deepEqual(measureGrey(glare, 200, 120).problems, ['glare']);
  });

  it('has every message in every language', async () => {
    const read = async (lang: string) =>
      JSON.parse(
        await readFile(new URL(`../web/src/messages/${lang}.json`, import.meta.url), 'utf8'),
      ) as Record<string, string>;
    const en = await read('en');
    const de = await read('de');
    assert.deepEqual(Object.keys(de).sort(), Object.keys(en).sort());
    for (const [key, text] of Object.entries(en)) {
      const placeholders = (value: string) => [...value.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      assert.deepEqual(placeholders(de[key] ?? ''), placeholders(text), key);
    }
  });
});
