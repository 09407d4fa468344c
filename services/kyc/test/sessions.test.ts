import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { verifyWebhookSignature } from '@trustplane/kernel';
import { eventually, type ReceivedWebhook, startWebhookReceiver } from '@trustplane/kernel/testkit';
import { createKycDefinition } from '../src/index.js';
import { greenSeries, Harness, LIVE_LANDMARKS, sha256 } from './helpers.js';

let h: Harness;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
let receiverUrl: string;
let received: ReceivedWebhook[];

before(async () => {
  receiver = await startWebhookReceiver();
  receiverUrl = receiver.url;
  received = receiver.received;
  h = await Harness.boot({
    workers: true,
    env: { VERIFICATION_OUTCOME_WEBHOOK_URL: `${receiverUrl}?outcome=1` },
  });
});
after(async () => {
  await h?.close();
  await receiver?.close();
});

const JPEG = (label: string) => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.from(label)]);

describe('verification sessions', () => {
  it('creates a session with an absolute hostedUrl; the token is hashed at rest', async () => {
    const t = await h.tenant();
    const created = await h.session(t.sk, {
      externalUserId: 'user-42',
      returnUrl: 'https://tenant.example/done',
    });
    assert.ok(new URL(created.hostedUrl).pathname.endsWith(created.sessionId));
    assert.match(created.token, /^vs_test_/);
    const row = await h.kyc.database.kysely
      .selectFrom('verification_sessions')
      .selectAll()
      .where('id', '=', created.sessionId)
      .executeTakeFirstOrThrow();
    assert.notEqual(row.token_hash, created.token);
    assert.equal(row.token_hash, sha256(Buffer.from(created.token)));
    assert.equal(row.organization_id, t.organizationId);
    const viaHeader = await h.call({
      method: 'GET',
      url: `/api/verification/sessions/${created.sessionId}`,
      headers: { 'x-verification-token': created.token },
    });
    assert.equal(viaHeader.statusCode, 200);
    assert.equal(viaHeader.json().session.capturePhase, 'document_type');
    const viaQuery = await h.call({
      method: 'GET',
      url: `/api/verification/sessions/${created.sessionId}?token=${encodeURIComponent(created.token)}`,
    });
    assert.equal(viaQuery.statusCode, 200);
  });

  it('validates the create body: webhookSecret ≥ 16 and paired with webhookUrl, JSON, URLs', async () => {
    const t = await h.tenant();
    const auth = { authorization: `Bearer ${t.sk}` };
    for (const payload of [
      { webhookUrl: receiverUrl, webhookSecret: 'short' },
      { webhookSecret: 'a-long-enough-secret' },
      { webhookUrl: receiverUrl },
      { returnUrl: 'not a url' },
      { externalUserId: '' },
    ]) {
      const response = await h.call({
        method: 'POST',
        url: '/api/verification/sessions',
        headers: auth,
        payload,
      });
      assert.equal(response.statusCode, 400, JSON.stringify(payload));
      assert.equal(response.json().error, 'VALIDATION_ERROR');
    }
    const badJson = await h.call({
      method: 'POST',
      url: '/api/verification/sessions',
      headers: { ...auth, 'content-type': 'application/json' },
      payload: '{nope',
    });
    assert.equal(badJson.statusCode, 400);
    assert.equal(badJson.json().error, 'INVALID_JSON');
  });

  it('401 on a wrong or missing token, 404 on an unknown session, 410 after expiry', async () => {
    const t = await h.tenant();
    const created = await h.session(t.sk);
    const url = `/api/verification/sessions/${created.sessionId}`;
    const wrong = await h.call({
      method: 'GET',
      url,
      headers: { 'x-verification-token': `${created.token}x` },
    });
    assert.equal(wrong.statusCode, 401);
    assert.equal(wrong.json().error, 'VERIFICATION_INVALID_TOKEN');
    const missing = await h.call({ method: 'GET', url });
    assert.equal(missing.statusCode, 401);
    const unknown = await h.call({
      method: 'GET',
      url: `/api/verification/sessions/${randomUUID()}`,
      headers: { 'x-verification-token': created.token },
    });
    assert.equal(unknown.statusCode, 404);
    assert.equal(unknown.json().error, 'VERIFICATION_SESSION_NOT_FOUND');
    const malformed = await h.call({
      method: 'GET',
      url: '/api/verification/sessions/not-a-uuid',
      headers: { 'x-verification-token': created.token },
    });
    assert.equal(malformed.statusCode, 404);
    await h.kyc.database.kysely
      .updateTable('verification_sessions')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where('id', '=', created.sessionId)
      .execute();
    // Edited behind the service's back: drop the polling cache (at most 1 s stale otherwise).
    h.kyc.sessionViews.forget(created.sessionId);
    const expired = await h.call({ method: 'GET', url, headers: { 'x-verification-token': created.token } });
    assert.equal(expired.statusCode, 410);
    assert.equal(expired.json().error, 'VERIFICATION_EXPIRED');
    const patch = await h.call({
      method: 'PATCH',
      url,
      payload: { documentType: 'passport', token: created.token },
    });
    assert.equal(patch.statusCode, 410);
  });

  it('a session token only opens its own session (tenant isolation on the token path)', async () => {
    const a = await h.tenant();
    const b = await h.tenant();
    const sa = await h.session(a.sk);
    const sb = await h.session(b.sk);
    const cross = await h.call({
      method: 'GET',
      url: `/api/verification/sessions/${sa.sessionId}`,
      headers: { 'x-verification-token': sb.token },
    });
    assert.equal(cross.statusCode, 401);
  });
});

describe('capture-phase state machine', () => {
  it('id_card: front → back → poa → complete; wrong sides are 400 and change nothing', async () => {
    const t = await h.tenant();
    const s = await h.session(t.sk);
    const early = await h.call({
      method: 'POST',
      url: `/api/verification/sessions/${s.sessionId}/presign`,
      payload: { token: s.token, side: 'front', contentType: 'image/jpeg', byteSize: 10 },
    });
    assert.equal(early.statusCode, 400);
    assert.equal(early.json().error, 'VALIDATION_ERROR');
    const chosen = await h.chooseType(s.sessionId, s.token, 'id_card');
    assert.equal(chosen.session.capturePhase, 'front');
    for (const side of ['back', 'single', 'poa']) {
      const wrong = await h.call({
        method: 'POST',
        url: `/api/verification/sessions/${s.sessionId}/presign`,
        payload: { token: s.token, side, contentType: 'image/jpeg', byteSize: 10 },
      });
      assert.equal(wrong.statusCode, 400, side);
    }
    const front = await h.upload(s.sessionId, s.token, 'front', JPEG('front'));
    assert.equal(front.statusCode, 200, front.body);
    assert.equal(front.json().session.capturePhase, 'back');
    // Analysis is started by upload-complete and finishes in the background.
    assert.ok(['pending', 'processing', 'completed'].includes(front.json().session.assets[0].analysisStatus));
    assert.equal((await h.analysed(s.sessionId, s.token)).assets[0].analysisStatus, 'completed');
    assert.deepEqual(h.scripted.calls.at(-1), { readMrz: false, detectPortrait: true });
    const relock = await h.call({
      method: 'PATCH',
      url: `/api/verification/sessions/${s.sessionId}`,
      payload: { documentType: 'passport', token: s.token },
    });
    assert.equal(relock.statusCode, 400);
    const back = await h.upload(s.sessionId, s.token, 'back', JPEG('back'));
    assert.equal(back.json().session.capturePhase, 'poa');
    await h.analysed(s.sessionId, s.token);
    assert.deepEqual(h.scripted.calls.at(-1), { readMrz: true, detectPortrait: false });
    const pdfForId = await h.call({
      method: 'POST',
      url: `/api/verification/sessions/${s.sessionId}/presign`,
      payload: { token: s.token, side: 'front', contentType: 'application/pdf', byteSize: 10 },
    });
    assert.equal(pdfForId.statusCode, 400);
    const poa = await h.upload(s.sessionId, s.token, 'poa', Buffer.from('%PDF-1.4 bill'), 'application/pdf');
    assert.equal(poa.statusCode, 200);
    const session = poa.json().session;
    assert.equal(session.capturePhase, 'complete');
    assert.deepEqual(
      session.assets.map((a: { side: string; analysisStatus: string }) => [a.side, a.analysisStatus]),
      [
        ['front', 'completed'],
        ['back', 'completed'],
        ['poa', 'skipped'],
      ],
    );
  });

  it('upload-complete answers once analysis is started; the session shows it processing, then completed', async () => {
    const t = await h.tenant();
    const s = await h.session(t.sk);
    await h.chooseType(s.sessionId, s.token, 'passport');
    let release: () => void = () => undefined;
    h.scripted.hold = new Promise<void>((resolve) => {
      release = resolve;
    });
    try {
      const single = await h.upload(s.sessionId, s.token, 'single', JPEG('held'));
      assert.equal(single.statusCode, 200, single.body);
      // The analysis cannot have finished: it waits for `release`, which only comes below.
      assert.ok(['pending', 'processing'].includes(single.json().session.assets[0].analysisStatus));
      const read = async () =>
        (
          await h.call({
            method: 'GET',
            url: `/api/verification/sessions/${s.sessionId}`,
            headers: { 'x-verification-token': s.token },
          })
        ).json().session.assets[0].analysisStatus as string;
      await eventually(
        async () => ((await read()) === 'processing' ? true : undefined),
        'the session to be processing',
        60_000,
        100,
      );
    } finally {
      release();
      h.scripted.hold = undefined;
    }
    const done = await h.analysed(s.sessionId, s.token);
    assert.equal(done.assets[0].analysisStatus, 'completed');
  });

  it('passport uses single, not front/back', async () => {
    const t = await h.tenant();
    const s = await h.session(t.sk);
    const chosen = await h.chooseType(s.sessionId, s.token, 'passport');
    assert.equal(chosen.session.capturePhase, 'single');
    const front = await h.call({
      method: 'POST',
      url: `/api/verification/sessions/${s.sessionId}/presign`,
      payload: { token: s.token, side: 'front', contentType: 'image/jpeg', byteSize: 10 },
    });
    assert.equal(front.statusCode, 400);
    const single = await h.upload(s.sessionId, s.token, 'single', JPEG('passport'));
    assert.equal(single.json().session.capturePhase, 'poa');
    await h.analysed(s.sessionId, s.token);
    assert.deepEqual(h.scripted.calls.at(-1), { readMrz: true, detectPortrait: true });
  });

  it('upload-complete checks existence, size, sha-256 and key ownership (400, nothing recorded)', async () => {
    const t = await h.tenant();
    const s = await h.session(t.sk);
    await h.chooseType(s.sessionId, s.token, 'passport');
    const bytes = JPEG('the real bytes');
    const presign = await h.call({
      method: 'POST',
      url: `/api/verification/sessions/${s.sessionId}/presign`,
      payload: { token: s.token, side: 'single', contentType: 'image/jpeg', byteSize: bytes.length },
    });
    const { uploadUrl, s3Key } = presign.json();
    const complete = (overrides: Record<string, unknown>) =>
      h.call({
        method: 'POST',
        url: `/api/verification/sessions/${s.sessionId}/upload-complete`,
        payload: {
          token: s.token,
          side: 'single',
          s3Key,
          contentType: 'image/jpeg',
          byteSize: bytes.length,
          sha256: sha256(bytes),
          ...overrides,
        },
      });
    const notUploaded = await complete({});
    assert.equal(notUploaded.statusCode, 400);
    // The presigned URL binds the exact size: a longer body is refused by the store.
    const tooLong = await h.put(uploadUrl, Buffer.concat([bytes, Buffer.from('x')]), 'image/jpeg');
    assert.ok(tooLong.statusCode >= 400);
    const put = await h.put(uploadUrl, bytes, 'image/jpeg');
    assert.ok(put.statusCode < 300, put.body);
    assert.equal((await complete({ byteSize: bytes.length + 1 })).statusCode, 400);
    assert.equal((await complete({ sha256: 'a'.repeat(64) })).statusCode, 400);
    assert.equal((await complete({ contentType: 'image/png' })).statusCode, 400);
    const other = await h.session(t.sk);
    assert.equal(
      (await complete({ s3Key: `sessions/${other.sessionId}/uploads/single/x.jpg` })).statusCode,
      400,
    );
    const assets = await h.kyc.database.kysely
      .selectFrom('document_assets')
      .selectAll()
      .where('session_id', '=', s.sessionId)
      .execute();
    assert.equal(assets.length, 0);
    const ok = await complete({ sha256: sha256(bytes).toUpperCase() });
    assert.equal(ok.statusCode, 200, ok.body);
    const replay = await complete({});
    assert.equal(replay.statusCode, 400);
  });

  it('concurrent upload-completes of one side record exactly one asset', async () => {
    const t = await h.tenant();
    const s = await h.session(t.sk);
    await h.chooseType(s.sessionId, s.token, 'passport');
    const bytes = JPEG('race');
    const presign = await h.call({
      method: 'POST',
      url: `/api/verification/sessions/${s.sessionId}/presign`,
      payload: { token: s.token, side: 'single', contentType: 'image/jpeg', byteSize: bytes.length },
    });
    await h.put(presign.json().uploadUrl, bytes, 'image/jpeg');
    const payload = {
      token: s.token,
      side: 'single',
      s3Key: presign.json().s3Key,
      contentType: 'image/jpeg',
      byteSize: bytes.length,
      sha256: sha256(bytes),
    };
    const results = await Promise.all(
      [1, 2, 3].map(() =>
        h.call({ method: 'POST', url: `/api/verification/sessions/${s.sessionId}/upload-complete`, payload }),
      ),
    );
    assert.deepEqual(results.map((r) => r.statusCode).sort(), [200, 400, 400]);
    const assets = await h.kyc.database.kysely
      .selectFrom('document_assets')
      .selectAll()
      .where('session_id', '=', s.sessionId)
      .execute();
    assert.equal(assets.length, 1);
  });
});

describe('analysis outcomes and webhooks', () => {
  it('auto-rejects on bad check digits and signs extraction + completed webhooks with the session secret, echoing metadata', async () => {
    const t = await h.tenant();
    const secret = 'whsec-0123456789abcdef';
    const s = await h.session(t.sk, {
      webhookUrl: receiverUrl,
      webhookSecret: secret,
      metadata: { orderId: 'o-1', nested: { a: 1 } },
    });
    await h.chooseType(s.sessionId, s.token, 'passport');
    h.scripted.next = { mrzValid: false };
    const single = await h.upload(s.sessionId, s.token, 'single', JPEG('bad mrz'));
    assert.equal(single.statusCode, 200);
    const session = await h.analysed(s.sessionId, s.token);
    h.scripted.next = {};
    assert.equal(session.reviewStatus, 'rejected');
    assert.equal(session.automatedBlockReason, 'MRZ_CHECK_DIGIT_MISMATCH');
    assert.equal(session.riskLabel, 'high');
    const events = ['verification.extraction', 'verification.completed'];
    for (const event of events) {
      const delivery = await eventually(
        () =>
          received.find(
            (r) => r.headers['x-trustplane-event'] === event && JSON.parse(r.body).sessionId === s.sessionId,
          ),
        'the webhook delivery',
        20_000,
        100,
      );
      const signature = delivery.headers['x-trustplane-signature'] as string;
      assert.ok(verifyWebhookSignature(secret, delivery.body, signature), event);
      assert.ok(!verifyWebhookSignature('another-secret-value', delivery.body, signature));
      const payload = JSON.parse(delivery.body);
      assert.deepEqual(payload.metadata, { orderId: 'o-1', nested: { a: 1 } });
      assert.equal(payload.type, event);
    }
  });

  it('auto-rejects an expired document and strong tampering; a screen recapture is high risk', async () => {
    const t = await h.tenant();
    const cases: [Record<string, unknown>, string | null, string][] = [
      [{ expirationDate: '200101' }, 'DOCUMENT_EXPIRED', 'rejected'],
      [{ ela: 0.9 }, 'DOCUMENT_TAMPERING_DETECTED', 'rejected'],
      [{ moire: 0.95 }, null, 'pending'],
    ];
    for (const [outcome, reason, status] of cases) {
      const s = await h.session(t.sk);
      await h.chooseType(s.sessionId, s.token, 'passport');
      h.scripted.next = outcome;
      await h.upload(s.sessionId, s.token, 'single', JPEG(JSON.stringify(outcome)));
      const session = await h.analysed(s.sessionId, s.token);
      h.scripted.next = {};
      assert.equal(session.automatedBlockReason, reason);
      assert.equal(session.reviewStatus, status);
      assert.equal(session.riskLabel, 'high');
    }
  });

  it('an undecodable image marks the analysis failed without a 500', async () => {
    const t = await h.tenant();
    const s = await h.session(t.sk);
    await h.chooseType(s.sessionId, s.token, 'passport');
    h.scripted.next = { fail: true };
    const single = await h.upload(s.sessionId, s.token, 'single', JPEG('garbage'));
    assert.equal(single.statusCode, 200);
    const session = await h.analysed(s.sessionId, s.token);
    h.scripted.next = {};
    assert.equal(session.assets[0].analysisStatus, 'failed');
    assert.equal(session.riskLabel, 'medium');
  });
});

describe('review outcome delivery', () => {
  it('POSTs VERIFICATION_OUTCOME_WEBHOOK_URL and the session webhook with returnUrl?session_id&status', async () => {
    const t = await h.tenant();
    const secret = 'whsec-review-0123456789';
    const s = await h.session(t.sk, {
      webhookUrl: receiverUrl,
      webhookSecret: secret,
      returnUrl: 'https://tenant.example/back?from=kyc',
      metadata: { customer: 7 },
    });
    const review = await h.call({
      method: 'POST',
      url: `/api/dashboard/verifications/${s.sessionId}/review`,
      headers: { cookie: t.cookie },
      payload: { decision: 'reject', rationale: 'document clearly altered' },
    });
    assert.equal(review.statusCode, 200);
    assert.equal(review.json().reviewStatus, 'rejected');
    const outcome = await eventually(
      () =>
        received.find(
          (r) =>
            r.headers['x-trustplane-event'] === 'verification.outcome' &&
            JSON.parse(r.body).sessionId === s.sessionId,
        ),
      'the outcome webhook',
      20_000,
      100,
    );
    const payload = JSON.parse(outcome.body);
    assert.equal(payload.data.decision, 'reject');
    assert.deepEqual(payload.metadata, { customer: 7 });
    const returnUrl = new URL(payload.data.returnUrl);
    assert.equal(returnUrl.searchParams.get('session_id'), s.sessionId);
    assert.equal(returnUrl.searchParams.get('status'), 'rejected');
    assert.equal(returnUrl.searchParams.get('from'), 'kyc');
    const completed = await eventually(
      () =>
        received.find(
          (r) =>
            r.headers['x-trustplane-event'] === 'verification.completed' &&
            JSON.parse(r.body).sessionId === s.sessionId &&
            JSON.parse(r.body).data.decision === 'reject',
        ),
      'the delivery to complete',
      20_000,
      100,
    );
    assert.ok(
      verifyWebhookSignature(secret, completed.body, completed.headers['x-trustplane-signature'] as string),
    );
  });
});

describe('liveness outcome delivery', () => {
  it('fires verification.completed after liveness with the outcome and metadata', async () => {
    const t = await h.tenant();
    const secret = 'whsec-liveness-0123456789';
    const s = await h.completedCapture(t.sk, {
      webhookUrl: receiverUrl,
      webhookSecret: secret,
      metadata: { flow: 'web' },
    });
    const started = await h.call({
      method: 'POST',
      url: `/api/verification/sessions/${s.sessionId}/liveness/init`,
      headers: { 'x-verification-token': s.token },
    });
    const done = await h.call({
      method: 'POST',
      url: `/api/verification/sessions/${s.sessionId}/liveness/complete`,
      payload: {
        token: s.token,
        requestId: started.json().requestId,
        challengeType: 'head_turn',
        greenChannelMean: greenSeries({ n: 120 }),
        landmarksSummary: LIVE_LANDMARKS,
        texturePatchB64: Buffer.from('not an image').toString('base64'),
      },
    });
    assert.equal(done.statusCode, 200);
    // No recording: routed to review, whatever the probe says (an undecodable texture patch is
    // one of the probe's failed checks, kept as a signal, not an error).
    assert.deepEqual(done.json().failureCodes, ['VIDEO_MISSING']);
    assert.equal(done.json().status, 'review');
    const delivery = await eventually(
      () =>
        received.find(
          (r) =>
            r.headers['x-trustplane-event'] === 'verification.completed' &&
            JSON.parse(r.body).sessionId === s.sessionId &&
            JSON.parse(r.body).data.liveness,
        ),
      'the webhook delivery',
      20_000,
      100,
    );
    assert.ok(
      verifyWebhookSignature(secret, delivery.body, delivery.headers['x-trustplane-signature'] as string),
    );
    const payload = JSON.parse(delivery.body);
    assert.equal(payload.data.liveness.passed, false);
    assert.equal(payload.data.liveness.status, 'review');
    assert.deepEqual(payload.metadata, { flow: 'web' });
    const [attempt] = await h.kyc.repositories.liveness.listForSession(s.sessionId);
    const probe = attempt?.signals_json?.clientProbe as { passed: boolean; failureCodes: string[] };
    assert.deepEqual(probe.failureCodes, ['TEXTURE_PATCH_INVALID']);
  });
});

describe('audit events', () => {
  it('are append-only in the database and hash-chained', async () => {
    const t = await h.tenant();
    await h.completedCapture(t.sk);
    const db = h.kyc.database.kysely;
    const verified = await h.kyc.repositories.auditEvents.verifyChain();
    const command = createKycDefinition().commands?.find((c) => c.path.join(' ') === 'audit verify');
    assert.deepEqual(await command?.run(h.booted.context, {}), { ...verified });
    if (!verified.ok) {
      const { rows } = await h.kyc.database.pool.query(
        `SELECT seq, event_type, payload::text, raw_scores::text, hash = audit_event_digest(prev_hash, e) AS ok,
                prev_hash = coalesce(lag(hash) OVER (ORDER BY seq), repeat('0', 64)) AS linked FROM audit_events e ORDER BY seq`,
      );
      console.log(rows.filter((row) => !row.ok || !row.linked));
    }
    assert.ok(verified.ok, JSON.stringify(verified));
    assert.ok(verified.checked >= 4);
    await assert.rejects(
      db.updateTable('audit_events').set({ rationale: 'edited' }).execute(),
      /append-only/,
    );
    await assert.rejects(db.deleteFrom('audit_events').execute(), /append-only/);
    // Someone with table-owner rights disables the trigger and edits a row: the chain shows it.
    const pool = h.kyc.database.pool;
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only');
      const updated = await client.query(
        `UPDATE audit_events SET payload = '{"forged":true}'
          WHERE seq = (SELECT seq FROM audit_events ORDER BY seq OFFSET 1 LIMIT 1)`,
      );
      assert.equal(updated.rowCount, 1);
      const { rows: check } = await client.query(
        `SELECT seq, hash = audit_event_digest(prev_hash, e) AS ok FROM audit_events e ORDER BY seq`,
      );
      assert.equal(check.filter((row: { ok: boolean }) => !row.ok).length, 1);
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
  });
});

describe('driving licences', () => {
  it('an absent MRZ on a driving licence back is not a risk; on an ID card it is', async () => {
    const t = await h.tenant();
    for (const [documentType, risk] of [
      ['drive_eta', 'low'],
      ['id_card', 'medium'],
    ] as const) {
      const s = await h.session(t.sk);
      await h.chooseType(s.sessionId, s.token, documentType);
      await h.upload(s.sessionId, s.token, 'front', JPEG(`${documentType}-front`));
      await h.analysed(s.sessionId, s.token);
      h.scripted.next = { mrzFound: false };
      await h.upload(s.sessionId, s.token, 'back', JPEG(`${documentType}-back`));
      const session = await h.analysed(s.sessionId, s.token);
      h.scripted.next = {};
      assert.equal(session.riskLabel, risk, documentType);
    }
  });
});
