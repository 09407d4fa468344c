import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Harness } from './helpers.js';

let h: Harness;
before(async () => {
  h = await Harness.boot();
});
after(async () => {
  await h?.close();
});

const detailOf = (sessionId: string, cookie: string) =>
  h.call({ method: 'GET', url: `/api/dashboard/verifications/${sessionId}`, headers: { cookie } });

describe('dashboard', () => {
  it('lists only sessions of the operator’s organizations, with the latest liveness', async () => {
    const a = await h.tenant();
    const b = await h.tenant();
    const sa = await h.completedCapture(a.sk, { externalUserId: 'alice' });
    await h.session(b.sk, { externalUserId: 'bob' });
    const started = await h.call({
      method: 'POST',
      url: `/api/verification/sessions/${sa.sessionId}/liveness/init`,
      headers: { 'x-verification-token': sa.token },
    });
    assert.equal(started.statusCode, 201);
    const list = await h.call({
      method: 'GET',
      url: '/api/dashboard/verifications',
      headers: { cookie: a.cookie },
    });
    assert.equal(list.statusCode, 200);
    const items = list.json().items;
    assert.deepEqual(
      items.map((i: { session: { externalUserId: string } }) => i.session.externalUserId),
      ['alice'],
    );
    assert.equal(items[0].latestLiveness.status, 'pending');
    assert.equal(items[0].session.documentHeatmapViewUrl, null);
    const none = await h.call({
      method: 'GET',
      url: '/api/dashboard/verifications',
      headers: { cookie: (await h.operator()).cookie },
    });
    assert.deepEqual(none.json().items, []);
    const anonymous = await h.call({ method: 'GET', url: '/api/dashboard/verifications' });
    assert.equal(anonymous.statusCode, 401);
  });

  it('detail carries signed view URLs, analysis rows and the audit trail; other tenants get 404', async () => {
    const a = await h.tenant();
    const b = await h.tenant();
    const s = await h.completedCapture(a.sk);
    const detail = await detailOf(s.sessionId, a.cookie);
    assert.equal(detail.statusCode, 200, detail.body);
    const body = detail.json();
    assert.equal(body.assets.length, 2);
    const single = body.assets.find((asset: { side: string }) => asset.side === 'single');
    assert.ok(single.documentViewUrl);
    const view = new URL(single.documentViewUrl);
    const fetched = await h.app.inject({ method: 'GET', url: `${view.pathname}${view.search}` });
    assert.equal(fetched.statusCode, 200);
    assert.ok(body.session.elaHeatmapViewUrl);
    assert.ok(body.session.documentHeatmapViewUrl);
    assert.equal(body.analysisResults.length, 1);
    assert.equal(body.analysisResults[0].extracted.rawScores.elaScore, 0.05);
    // The analysis runs in the background: it may be recorded before or after the second upload.
    assert.deepEqual(
      body.auditEvents.map((e: { eventType: string }) => e.eventType).sort(),
      [
        'session_created',
        'document_type_selected',
        'document_uploaded',
        'document_analyzed',
        'document_uploaded',
      ].sort(),
    );
    assert.deepEqual(
      body.auditEvents.slice(0, 3).map((e: { eventType: string }) => e.eventType),
      ['session_created', 'document_type_selected', 'document_uploaded'],
    );
    const analyzed = body.auditEvents.find((e: { eventType: string }) => e.eventType === 'document_analyzed');
    assert.deepEqual(Object.keys(analyzed.rawScores).sort(), ['elaScore', 'fftScore', 'forensicRiskScore']);
    assert.ok(analyzed.modelVersions.documentApi);
    const cross = await detailOf(s.sessionId, b.cookie);
    assert.equal(cross.statusCode, 404);
    assert.equal(cross.json().error, 'VERIFICATION_SESSION_NOT_FOUND');
    assert.equal((await detailOf(randomUUID(), a.cookie)).statusCode, 404);
  });

  it('review persists the decision + audit, validates the rationale and manual MRZ, is tenant-scoped', async () => {
    const a = await h.tenant();
    const b = await h.tenant();
    const s = await h.session(a.sk, { returnUrl: 'https://tenant.example/back?x=1' });
    await h.chooseType(s.sessionId, s.token, 'passport');
    h.scripted.next = { mrzValid: false };
    await h.upload(s.sessionId, s.token, 'single', Buffer.from('bad passport'));
    assert.equal((await h.analysed(s.sessionId, s.token)).reviewStatus, 'rejected');
    h.scripted.next = {};
    const url = `/api/dashboard/verifications/${s.sessionId}/review`;
    const short = await h.call({
      method: 'POST',
      url,
      headers: { cookie: a.cookie },
      payload: { decision: 'approve', rationale: 'ok' },
    });
    assert.equal(short.statusCode, 400);
    assert.ok(short.json().fieldErrors.rationale);
    const badMrz = await h.call({
      method: 'POST',
      url,
      headers: { cookie: a.cookie },
      payload: {
        decision: 'approve',
        rationale: 'checked by hand at the desk',
        manualMrzLine1: 'X'.repeat(25),
        manualMrzLine2: 'Y'.repeat(25),
      },
    });
    assert.equal(badMrz.statusCode, 400);
    const stranger = await h.call({
      method: 'POST',
      url,
      headers: { cookie: b.cookie },
      payload: { decision: 'approve', rationale: 'not my tenant at all' },
    });
    assert.equal(stranger.statusCode, 404);
    const approve = await h.call({
      method: 'POST',
      url,
      headers: { cookie: a.cookie },
      payload: {
        decision: 'approve',
        rationale: 'MRZ glare; read the lines by hand',
        manualMrzLine1: 'P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<',
        manualMrzLine2: 'L898902C36UTO7408122F1204159ZE184226B<<<<<10',
        overrideReason: 'ocr_skew_or_glare',
      },
    });
    assert.equal(approve.statusCode, 200, approve.body);
    assert.equal(approve.json().reviewStatus, 'approved');
    const detail = (await detailOf(s.sessionId, a.cookie)).json();
    assert.equal(detail.session.reviewStatus, 'approved');
    assert.equal(detail.session.automatedBlockReason, null);
    const review = detail.auditEvents.find((e: { eventType: string }) => e.eventType === 'manual_review');
    assert.equal(review.actorUserId, a.userId);
    assert.equal(review.rationale, 'MRZ glare; read the lines by hand');
    assert.equal(review.payload.overriddenBlockReason, 'MRZ_CHECK_DIGIT_MISMATCH');
    assert.equal(review.payload.manualMrz.checkDigitsValid, true);
    const deliveries = await h.booted.context.webhooks.listDeliveries(`kyc:${a.organizationId}`);
    const outcome = deliveries.find((d) => d.event === 'verification.outcome');
    assert.ok(outcome === undefined, 'no outcome URL configured in this file');
  });

  it('reanalyze replaces the analysis row, records admin_document_reanalyze and fires nothing', async () => {
    const a = await h.tenant();
    const b = await h.tenant();
    const s = await h.completedCapture(a.sk);
    const before = (await detailOf(s.sessionId, a.cookie)).json();
    const asset = before.assets.find((x: { side: string }) => x.side === 'single');
    h.scripted.next = { mrzValid: false, ela: 0.2 };
    const response = await h.call({
      method: 'POST',
      url: `/api/dashboard/verifications/${s.sessionId}/assets/${asset.id}/reanalyze`,
      headers: { cookie: a.cookie },
    });
    h.scripted.next = {};
    assert.equal(response.statusCode, 200, response.body);
    assert.equal(response.json().assetId, asset.id);
    const after = (await detailOf(s.sessionId, a.cookie)).json();
    assert.equal(after.analysisResults.length, 1);
    assert.equal(after.analysisResults[0].extracted.rawScores.elaScore, 0.2);
    assert.equal(after.session.reviewStatus, 'pending', 'no automated rejection on reanalysis');
    const types = after.auditEvents.map((e: { eventType: string }) => e.eventType);
    assert.ok(types.includes('admin_document_reanalyze'));
    assert.ok(types.includes('document_reanalyzed'));
    const missing = await h.call({
      method: 'POST',
      url: `/api/dashboard/verifications/${s.sessionId}/assets/${randomUUID()}/reanalyze`,
      headers: { cookie: a.cookie },
    });
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.json().error, 'VERIFICATION_ASSET_NOT_FOUND');
    const stranger = await h.call({
      method: 'POST',
      url: `/api/dashboard/verifications/${s.sessionId}/assets/${asset.id}/reanalyze`,
      headers: { cookie: b.cookie },
    });
    assert.equal(stranger.statusCode, 404);
  });

  it('retraining notify records one retraining_batch event for 1–500 visible ids', async () => {
    const a = await h.tenant();
    const b = await h.tenant();
    const s1 = await h.session(a.sk);
    const s2 = await h.session(a.sk);
    const foreign = await h.session(b.sk);
    const url = '/api/dashboard/retraining/notify';
    const ok = await h.call({
      method: 'POST',
      url,
      headers: { cookie: a.cookie },
      payload: { sessionIds: [s1.sessionId, s2.sessionId], note: 'fp batch' },
    });
    assert.equal(ok.statusCode, 200, ok.body);
    assert.deepEqual(ok.json(), { ok: true, recorded: true, sessionCount: 2 });
    const events = await h.kyc.database.kysely
      .selectFrom('audit_events')
      .selectAll()
      .where('event_type', '=', 'retraining_batch')
      .where('actor_user_id', '=', a.userId)
      .execute();
    assert.equal(events.length, 1);
    const empty = await h.call({
      method: 'POST',
      url,
      headers: { cookie: a.cookie },
      payload: { sessionIds: [] },
    });
    assert.equal(empty.statusCode, 400);
    const tooMany = await h.call({
      method: 'POST',
      url,
      headers: { cookie: a.cookie },
      payload: { sessionIds: Array.from({ length: 501 }, () => randomUUID()) },
    });
    assert.equal(tooMany.statusCode, 400);
    const cross = await h.call({
      method: 'POST',
      url,
      headers: { cookie: a.cookie },
      payload: { sessionIds: [foreign.sessionId] },
    });
    assert.equal(cross.statusCode, 400);
  });
});
