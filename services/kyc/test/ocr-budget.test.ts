import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { Harness } from './helpers.js';

const DOCUMENTS = new URL('../../../packages/vision/test/documents/', import.meta.url);

let h: Harness;
before(async () => {
  // The analyzer the service builds from its own settings: a 1 ms OCR budget runs out on the first pass.
  h = await Harness.boot({ analyzer: 'service', env: { KYC_OCR_BUDGET_MS: '1' } });
});
after(async () => {
  await h?.close();
});

describe('an MRZ reading cut by the OCR budget', () => {
  it('is recorded with the analysis (mrzOcr.timedOut), judged as a document without a readable MRZ', async () => {
    assert.equal(h.kyc.config.ocrBudgetMs, 1);
    const t = await h.tenant();
    const s = await h.session(t.sk);
    await h.chooseType(s.sessionId, s.token, 'passport');
    const upload = await h.upload(
      s.sessionId,
      s.token,
      'single',
      await readFile(new URL('td3-fra-martin-recto.jpg', DOCUMENTS)),
    );
    assert.equal(upload.statusCode, 200, upload.body);
    const session = await h.analysed(s.sessionId, s.token);
    assert.equal(session.assets[0].analysisStatus, 'completed');
    assert.equal(session.riskLabel, 'medium');
    assert.equal(session.automatedBlockReason, null);

    const response = await h.call({
      method: 'GET',
      url: `/api/dashboard/verifications/${s.sessionId}`,
      headers: { cookie: t.cookie },
    });
    assert.equal(response.statusCode, 200, response.body);
    const extracted = response.json().analysisResults[0].extracted;
    assert.equal(extracted.mrzFound, false);
    // The passport page shows its MRZ rows: OCR ran on them and was stopped, unlike a page without an MRZ.
    assert.deepEqual(extracted.mrzOcr, { passes: 1, skipped: 0, timedOut: true });
    // The portrait stage is not bounded by the OCR budget.
    assert.equal(extracted.portraitFound, true);
  });
});
