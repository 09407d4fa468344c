import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type BootedService, bootService } from '@trustplane/kernel/testkit';
import { readDocument, readManifest, resaved, swapPortrait } from '@trustplane/vision/testkit';
import { biometryService } from '../src/index.js';
import { awaitJobResults, b64, contract, FACES_DIR, jobBody, mintKey } from './helpers.js';

/**
 * The attack: a stolen identity card (Élodie Dupré's), photographed and saved as a JPEG, whose
 * portrait the fraudster replaces with their own face before saving it again; they then take
 * the selfie themselves. Face, MRZ and declared identity all agree: only the pasted portrait
 * gives it away.
 */
describe('a document whose portrait was replaced and saved again', () => {
  let booted: BootedService;
  let key: string;
  before(async () => {
    booted = await bootService(biometryService, { workers: true });
    key = await mintKey(booted);
  });
  after(async () => {
    await booted?.close();
  });

  it('is not verified (pending_review on the portrait), while the genuine card re-saved the same way verifies', async () => {
    const entry = (await readManifest()).find((candidate) => candidate.id === 'td1-fra-dupre');
    assert.ok(entry);
    const recto = await readDocument(entry.recto);
    // The card as the fraudster had it: a capture saved at q75; the forgery saved at q92.
    const forged = await swapPortrait({
      recto,
      layout: entry.layout,
      donor: 'obama_2012_oval_office_portrait.jpg',
      cardQuality: 75,
      finalQuality: 92,
    });
    // The honest counterpart: the same card through the same two saves, portrait untouched.
    const genuine = await resaved(recto, 75, 92);

    const submit = async (citizen: string, rectoBytes: Buffer, selfie: string) => {
      const response = await booted.app.inject({
        method: 'POST',
        url: '/jobs/submit',
        headers: { 'x-service-api-key': key },
        payload: jobBody({
          citizen_code: citizen,
          cni_recto_b64: rectoBytes.toString('base64'),
          selfie_b64: b64(new URL(selfie, FACES_DIR)),
        }),
      });
      contract.assertResponse('POST', '/jobs/submit', response);
      assert.equal(response.statusCode, 202, response.body);
      return response.json().job_id as string;
    };
    // The fraudster's own selfie, another photograph of the face they pasted.
    const forgedJob = await submit('CIT-FORGED', forged, 'obama_2009_joint_session.jpg');
    const genuineJob = await submit('CIT-GENUINE', genuine, 'eileen_collins_nasa.jpg');

    // Two full verifications on a shared machine: minutes, not seconds, under load.
    const [forgedResult, genuineResult] = await awaitJobResults(booted, key, [forgedJob, genuineJob]);

    assert.equal(forgedResult.outcome, 'pending_review', JSON.stringify(forgedResult));
    assert.match(forgedResult.failure_reason ?? '', /portrait appears pasted/);
    assert.equal(forgedResult.cross_validations.portrait_integrity?.passed, false);
    // Everything else about the forgery checks out: the portrait is what stops it.
    for (const check of ['face_match', 'mrz_check_digits', 'last_name', 'first_name', 'date_of_birth'])
      assert.equal(
        forgedResult.cross_validations[check]?.passed,
        true,
        `${check}: ${JSON.stringify(forgedResult)}`,
      );
    assert.ok(
      (forgedResult.scores.portrait_ghost_ratio as number) >= 2.5,
      JSON.stringify(forgedResult.scores),
    );

    assert.equal(genuineResult.outcome, 'verified', JSON.stringify(genuineResult));
    assert.equal(genuineResult.cross_validations.portrait_integrity?.passed, true);
    assert.ok(
      (genuineResult.scores.portrait_ghost_ratio as number) < 2,
      JSON.stringify(genuineResult.scores),
    );
  });
});
