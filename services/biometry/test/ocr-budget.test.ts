import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type BootedService, bootService } from '@trustplane/kernel/testkit';
import { biometryService } from '../src/index.js';
import { awaitJobResults, b64, contract, DOCS_DIR, FACES_DIR, jobBody, mintKey } from './helpers.js';

describe('an MRZ reading cut by the OCR budget', () => {
  let booted: BootedService;
  let key: string;
  before(async () => {
    // A 1 ms budget (the service's own setting) runs out on the first OCR pass.
    booted = await bootService(biometryService, { workers: true, env: { BIOMETRY_OCR_BUDGET_MS: '1' } });
    key = await mintKey(booted);
  });
  after(async () => {
    await booted?.close();
  });

  it('is recorded in the job result (scores.ocr_timed_out) and named in the review reason', async () => {
    const submitted = await booted.app.inject({
      method: 'POST',
      url: '/jobs/submit',
      headers: { 'x-service-api-key': key },
      payload: jobBody({
        citizen_code: 'CIT-OCR-BUDGET',
        document_type: 'PASSPORT',
        cni_recto_b64: b64(new URL('td3-fra-martin-recto.jpg', DOCS_DIR)),
        cni_verso_b64: null,
        selfie_b64: b64(new URL('obama_2009_joint_session.jpg', FACES_DIR)),
        declared_identity: {
          first_name: 'Jean Pierre',
          last_name: 'MARTIN',
          date_of_birth: '1972-05-30',
          gender: 'M',
          nationality: 'FR',
        },
      }),
    });
    contract.assertResponse('POST', '/jobs/submit', submitted);
    assert.equal(submitted.statusCode, 202, submitted.body);
    const [result] = await awaitJobResults(booted, key, [submitted.json().job_id as string]);
    assert.equal(result.outcome, 'pending_review', JSON.stringify(result));
    assert.equal(result.scores.mrz_found, false);
    // The passport page shows its MRZ rows: OCR ran on them and was stopped, unlike a page without an MRZ.
    assert.equal(result.scores.ocr_timed_out, true);
    assert.equal(result.scores.ocr_passes, 1);
    assert.match(result.failure_reason ?? '', /MRZ not read: the OCR time budget ran out/);
    assert.doesNotMatch(result.failure_reason ?? '', /no MRZ found/);
  });
});
