import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { AnalyzeOptions, DocumentAnalysis } from '../src/analysis/document-analyzer.js';
import { SWEEP_QUEUE } from '../src/jobs/sweep-expired-objects.js';
import { Harness, ScriptedAnalyzer, sha256 } from './helpers.js';

/** The scripted analyzer, remembering the sha-256 of every image it was given. */
class RecordingAnalyzer extends ScriptedAnalyzer {
  analysed: string[] = [];
  override async analyze(image: Uint8Array, options: AnalyzeOptions): Promise<DocumentAnalysis> {
    this.analysed.push(sha256(Buffer.from(image)));
    return super.analyze(image, options);
  }
}

const analyzer = new RecordingAnalyzer();
let h: Harness;
before(async () => {
  h = await Harness.boot({ analyzer });
});
after(async () => {
  await h?.close();
});

const JPEG = (label: string) => Buffer.from(`\xff\xd8\xff fake jpeg ${label} ${randomUUID()}`, 'latin1');

/** presign → PUT → upload-complete for the passport page, keeping the presigned URL. */
async function uploadPassport(sessionId: string, token: string, bytes: Buffer) {
  const presign = await h.call({
    method: 'POST',
    url: `/api/verification/sessions/${sessionId}/presign`,
    payload: { token, side: 'single', contentType: 'image/jpeg', byteSize: bytes.length },
  });
  assert.equal(presign.statusCode, 200, presign.body);
  const { uploadUrl, s3Key, uploadHeaders } = presign.json();
  assert.deepEqual(uploadHeaders, { 'content-type': 'image/jpeg', 'content-length': String(bytes.length) });
  assert.equal((await h.put(uploadUrl, bytes, 'image/jpeg')).statusCode, 200);
  const complete = await h.call({
    method: 'POST',
    url: `/api/verification/sessions/${sessionId}/upload-complete`,
    payload: {
      token,
      side: 'single',
      s3Key,
      contentType: 'image/jpeg',
      byteSize: bytes.length,
      sha256: sha256(bytes),
    },
  });
  assert.equal(complete.statusCode, 200, complete.body);
  await h.analysed(sessionId, token);
  return {
    uploadUrl: uploadUrl as string,
    s3Key: s3Key as string,
    assetId: complete.json().assetId as string,
  };
}

const detail = (sessionId: string, cookie: string) =>
  h.call({ method: 'GET', url: `/api/dashboard/verifications/${sessionId}`, headers: { cookie } });

const reanalyze = (sessionId: string, assetId: string, cookie: string) =>
  h.call({
    method: 'POST',
    url: `/api/dashboard/verifications/${sessionId}/assets/${assetId}/reanalyze`,
    headers: { cookie },
  });

async function fetchView(url: string) {
  const parsed = new URL(url);
  return h.app.inject({ method: 'GET', url: `${parsed.pathname}${parsed.search}` });
}

describe('uploaded documents are immutable once recorded', () => {
  it('replaying the presigned PUT after upload-complete is refused; bytes, hash and analysis stay the first', async () => {
    const t = await h.tenant();
    const s = await h.session(t.sk);
    await h.chooseType(s.sessionId, s.token, 'passport');
    const original = JPEG('genuine');
    const { uploadUrl, s3Key, assetId } = await uploadPassport(s.sessionId, s.token, original);
    assert.deepEqual(analyzer.analysed.slice(-1), [sha256(original)]);

    // Another document of the same size, through the very same URL (still within its 15 minutes).
    const forged = Buffer.alloc(original.length, 0x41);
    const replay = await h.put(uploadUrl, forged, 'image/jpeg');
    assert.equal(replay.statusCode, 412, replay.body);
    assert.equal(replay.json().error, 'object_exists');
    // Even the same bytes again: the URL only creates.
    assert.equal((await h.put(uploadUrl, original, 'image/jpeg')).statusCode, 412);

    const head = await h.booted.context.objects.head(s3Key);
    assert.equal(head?.sha256, sha256(original));
    const stored = await h.booted.context.objects.get(s3Key);
    const chunks: Buffer[] = [];
    for await (const chunk of stored.body) chunks.push(chunk as Buffer);
    assert.deepEqual(Buffer.concat(chunks), original);

    // The operator's view serves the recorded bytes, and re-analysis reads exactly them.
    const view = (await detail(s.sessionId, t.cookie)).json();
    const asset = view.assets.find((a: { id: string }) => a.id === assetId);
    assert.equal(asset.s3Key, s3Key);
    const served = await fetchView(asset.documentViewUrl);
    assert.equal(served.statusCode, 200);
    assert.deepEqual(served.rawPayload, original);
    const rerun = await reanalyze(s.sessionId, assetId, t.cookie);
    assert.equal(rerun.statusCode, 200, rerun.body);
    assert.deepEqual(analyzer.analysed.slice(-1), [sha256(original)]);
    const after = (await detail(s.sessionId, t.cookie)).json();
    assert.equal(after.assets.find((a: { id: string }) => a.id === assetId).analysisStatus, 'completed');
    const uploaded = after.auditEvents.find(
      (e: { eventType: string }) => e.eventType === 'document_uploaded',
    );
    assert.equal(uploaded.payload.sha256, sha256(original));
  });

  it('bytes changed behind the service (store access) are neither viewed nor analysed', async () => {
    const t = await h.tenant();
    const s = await h.session(t.sk);
    await h.chooseType(s.sessionId, s.token, 'passport');
    const original = JPEG('first');
    const { s3Key, assetId } = await uploadPassport(s.sessionId, s.token, original);
    const before = (await detail(s.sessionId, t.cookie)).json();
    const viewUrl = before.assets.find((a: { id: string }) => a.id === assetId).documentViewUrl;
    // A plain overwrite, as someone with direct access to the object store could do.
    await h.booted.context.objects.put(s3Key, JPEG('swapped'), { contentType: 'image/jpeg' });

    const stale = await fetchView(viewUrl);
    assert.equal(stale.statusCode, 412);
    assert.equal(stale.json().error, 'content_changed');
    const calls = analyzer.analysed.length;
    const rerun = await reanalyze(s.sessionId, assetId, t.cookie);
    assert.equal(rerun.statusCode, 200, rerun.body);
    assert.equal(analyzer.analysed.length, calls, 'the swapped bytes never reach the analyzer');
    const after = (await detail(s.sessionId, t.cookie)).json();
    assert.equal(after.assets.find((a: { id: string }) => a.id === assetId).analysisStatus, 'failed');
    assert.equal(after.session.riskLabel, 'high');
    const failure = after.auditEvents.find(
      (e: { eventType: string }) => e.eventType === 'document_analysis_failed',
    );
    assert.match(failure.payload.reason, /does not match the sha-256 recorded/);
  });

  it('a liveness recording URL only creates, too', async () => {
    const t = await h.tenant();
    const s = await h.completedCapture(t.sk);
    const init = await h.call({
      method: 'POST',
      url: `/api/verification/sessions/${s.sessionId}/liveness/init`,
      headers: { 'x-verification-token': s.token },
    });
    const video = Buffer.from('webm recording bytes');
    const presign = await h.call({
      method: 'POST',
      url: `/api/verification/sessions/${s.sessionId}/liveness/presign-video`,
      payload: {
        token: s.token,
        requestId: init.json().requestId,
        contentType: 'video/webm',
        byteSize: video.length,
      },
    });
    assert.equal(presign.statusCode, 200, presign.body);
    const { uploadUrl } = presign.json();
    assert.equal((await h.put(uploadUrl, video, 'video/webm')).statusCode, 200);
    const replay = await h.put(uploadUrl, Buffer.alloc(video.length, 0x42), 'video/webm');
    assert.equal(replay.statusCode, 412);
  });
});

describe('objects of expired sessions are swept', () => {
  it('the sweep job deletes the objects of sessions expired past the retention, and only those', async () => {
    const t = await h.tenant();
    const expired = await h.completedCapture(t.sk);
    const recent = await h.completedCapture(t.sk);
    const fresh = await h.completedCapture(t.sk);
    const db = h.kyc.database.kysely;
    const day = 86_400_000;
    // Retention is 30 days by default: one session expired 31 days ago, one only yesterday.
    await db
      .updateTable('verification_sessions')
      .set({ expires_at: new Date(Date.now() - 31 * day) })
      .where('id', '=', expired.sessionId)
      .execute();
    await db
      .updateTable('verification_sessions')
      .set({ expires_at: new Date(Date.now() - day) })
      .where('id', '=', recent.sessionId)
      .execute();
    const keysOf = async (sessionId: string) => {
      const assets = await db
        .selectFrom('document_assets')
        .select('s3_key')
        .where('session_id', '=', sessionId)
        .execute();
      const heatmaps = await db
        .selectFrom('analysis_results')
        .select(['ela_heatmap_key', 'moire_heatmap_key'])
        .where('session_id', '=', sessionId)
        .execute();
      return [
        ...assets.map((a) => a.s3_key),
        ...heatmaps.flatMap((r) => [r.ela_heatmap_key, r.moire_heatmap_key]).filter((k) => k !== null),
      ] as string[];
    };
    const objects = h.booted.context.objects;
    const expiredKeys = await keysOf(expired.sessionId);
    assert.equal(expiredKeys.length, 4, 'passport page + its two heatmaps + proof of address');
    // An upload that was presigned and PUT but never completed is swept with the rest.
    const orphan = `sessions/${expired.sessionId}/uploads/front/orphan.jpg`;
    await objects.put(orphan, Buffer.from('never completed'));
    for (const key of [...expiredKeys, orphan]) assert.ok(await objects.head(key), key);

    assert.ok(h.booted.context.jobs.definition(SWEEP_QUEUE), 'the sweep job is defined');
    await h.booted.context.jobs.runNow(SWEEP_QUEUE, {});

    for (const key of [...expiredKeys, orphan]) assert.equal(await objects.head(key), undefined, key);
    for (const session of [recent, fresh]) {
      for (const key of await keysOf(session.sessionId)) assert.ok(await objects.head(key), key);
    }
    const rows = await db
      .selectFrom('verification_sessions')
      .select(['id', 'objects_purged_at'])
      .where('id', 'in', [expired.sessionId, recent.sessionId, fresh.sessionId])
      .execute();
    const purged = new Map(rows.map((row) => [row.id, row.objects_purged_at]));
    assert.ok(purged.get(expired.sessionId) instanceof Date);
    assert.equal(purged.get(recent.sessionId), null);
    assert.equal(purged.get(fresh.sessionId), null);

    // The dashboard keeps the session and its analysis, with nothing left to view or re-analyse.
    const view = (await detail(expired.sessionId, t.cookie)).json();
    assert.ok(
      view.assets.length === 2 &&
        view.assets.every((a: { documentViewUrl: unknown }) => a.documentViewUrl === null),
    );
    assert.equal(view.session.elaHeatmapViewUrl, null);
    assert.equal(view.analysisResults.length, 1);
    const event = view.auditEvents.find(
      (e: { eventType: string }) => e.eventType === 'session_objects_purged',
    );
    assert.equal(event.payload.objectsDeleted, 5);
    const single = view.assets.find((a: { side: string }) => a.side === 'single');
    const rerun = await reanalyze(expired.sessionId, single.id, t.cookie);
    assert.equal(rerun.statusCode, 404);
    assert.equal(rerun.json().error, 'VERIFICATION_ASSET_NOT_FOUND');

    // A second run finds nothing more to do.
    await h.booted.context.jobs.runNow(SWEEP_QUEUE, {});
    const events = (await detail(expired.sessionId, t.cookie))
      .json()
      .auditEvents.filter((e: { eventType: string }) => e.eventType === 'session_objects_purged');
    assert.equal(events.length, 1);
  });
});
