import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import { createThreadedDocumentAnalyzer } from '../src/analysis/threaded-document-analyzer.js';
import { Harness } from './helpers.js';

// Test-only: build forged variants with the image library the vision package ships with.
const require = createRequire(import.meta.resolve('@trustplane/vision'));
const sharp = require('sharp') as typeof import('sharp').default;
const DOCUMENTS = new URL('../../../packages/vision/test/documents/', import.meta.url);
const documentBytes = (name: string) => readFile(new URL(name, DOCUMENTS));

let h: Harness;
before(async () => {
  h = await Harness.boot({ analyzer: createThreadedDocumentAnalyzer({ ocrWorkers: 1 }) });
});
after(async () => {
  await h?.close();
});

async function passportSession(sk: string) {
  const s = await h.session(sk);
  await h.chooseType(s.sessionId, s.token, 'passport');
  return s;
}

async function detail(cookie: string, sessionId: string) {
  const response = await h.call({
    method: 'GET',
    url: `/api/dashboard/verifications/${sessionId}`,
    headers: { cookie },
  });
  assert.equal(response.statusCode, 200);
  return response.json();
}

/**
 * A classic recompressed splice: the card was saved at a lower quality (a re-saved phone
 * capture), then another person's face was pasted over the portrait and the result saved again.
 */
async function recompressedSplice(): Promise<Buffer> {
  const genuine = await documentBytes('td3-nld-visser-recto.jpg');
  const donor = await documentBytes('td3-fra-martin-recto.jpg');
  const face = await sharp(donor)
    .extract({ left: 60, top: 170, width: 260, height: 320 })
    .resize(220, 280)
    .png()
    .toBuffer();
  const resaved = await sharp(genuine).jpeg({ quality: 55 }).toBuffer();
  return sharp(resaved)
    .composite([{ input: face, left: 83, top: 193 }])
    .jpeg({ quality: 92 })
    .toBuffer();
}

describe('document analysis on real images', () => {
  it('a genuine rendered passport passes: MRZ parsed, check digits hold, portrait found, low risk', async () => {
    const t = await h.tenant();
    const s = await passportSession(t.sk);
    const upload = await h.upload(
      s.sessionId,
      s.token,
      'single',
      await documentBytes('td3-fra-martin-recto.jpg'),
    );
    assert.equal(upload.statusCode, 200, upload.body);
    const session = await h.analysed(s.sessionId, s.token);
    assert.equal(session.assets[0].analysisStatus, 'completed');
    assert.equal(session.reviewStatus, 'pending');
    assert.equal(session.automatedBlockReason, null);
    assert.equal(session.riskLabel, 'low');
    const body = await detail(t.cookie, s.sessionId);
    const extracted = body.analysisResults[0].extracted;
    assert.equal(extracted.mrzValid, true);
    assert.equal(extracted.lastName, 'MARTIN');
    assert.equal(extracted.documentExpired, false);
    assert.deepEqual(extracted.mrzOcr, { passes: 1, skipped: 0, timedOut: false });
    assert.equal(extracted.portraitFound, true);
    assert.ok(extracted.modelVersions.documentApi);
    assert.ok(extracted.modelVersions.ocr);
    assert.ok(extracted.modelVersions.inferenceApi);
    assert.deepEqual(Object.keys(extracted.rawScores).sort(), ['elaScore', 'fftScore', 'forensicRiskScore']);
    // The heatmaps are stored and served through short-lived signed URLs.
    for (const viewUrl of [body.session.elaHeatmapViewUrl, body.session.documentHeatmapViewUrl]) {
      const url = new URL(viewUrl);
      const response = await h.app.inject({ method: 'GET', url: `${url.pathname}${url.search}` });
      assert.equal(response.statusCode, 200);
      assert.deepEqual([...response.rawPayload.subarray(1, 4)], [0x50, 0x4e, 0x47]);
    }
  });

  it('a recompressed portrait splice is flagged by ELA and auto-rejected', async () => {
    const t = await h.tenant();
    const s = await passportSession(t.sk);
    const upload = await h.upload(s.sessionId, s.token, 'single', await recompressedSplice());
    assert.equal(upload.statusCode, 200, upload.body);
    const session = await h.analysed(s.sessionId, s.token);
    assert.equal(session.automatedBlockReason, 'DOCUMENT_TAMPERING_DETECTED');
    assert.equal(session.reviewStatus, 'rejected');
    const body = await detail(t.cookie, s.sessionId);
    assert.ok(body.analysisResults[0].extracted.rawScores.elaScore >= 0.5);
  });

  it('a photographed screen is flagged by the FFT (high risk)', async () => {
    const t = await h.tenant();
    const s = await passportSession(t.sk);
    const upload = await h.upload(
      s.sessionId,
      s.token,
      'single',
      await documentBytes('td3-nld-visser-screen-recto.jpg'),
    );
    assert.equal(upload.statusCode, 200, upload.body);
    assert.equal((await h.analysed(s.sessionId, s.token)).riskLabel, 'high');
    const body = await detail(t.cookie, s.sessionId);
    assert.ok(body.analysisResults[0].extracted.rawScores.fftScore >= 0.5);
  });

  it('a document with a wrong check digit is auto-rejected', async () => {
    const t = await h.tenant();
    const s = await h.session(t.sk);
    await h.chooseType(s.sessionId, s.token, 'id_card');
    const front = await h.upload(
      s.sessionId,
      s.token,
      'front',
      await documentBytes('td1-fra-dupre-recto.jpg'),
    );
    assert.equal(front.statusCode, 200, front.body);
    assert.equal((await h.analysed(s.sessionId, s.token)).reviewStatus, 'pending');
    const back = await h.upload(
      s.sessionId,
      s.token,
      'back',
      await documentBytes('td1-fra-dupre-broken-dob-verso.jpg'),
    );
    assert.equal(back.statusCode, 200, back.body);
    const session = await h.analysed(s.sessionId, s.token);
    assert.equal(session.automatedBlockReason, 'MRZ_CHECK_DIGIT_MISMATCH');
    assert.equal(session.reviewStatus, 'rejected');
  });
});
