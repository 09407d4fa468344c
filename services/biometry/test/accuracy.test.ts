import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import { after, describe, it } from 'node:test';
import type { FaceEngine, OcrPool } from '@trustplane/vision';
import { type ManifestEntry, readManifest, resaved, swapPortrait } from '@trustplane/vision/testkit';
import { loadBiometryConfig } from '../src/config.js';
import { createEngines, type Engines } from '../src/pipeline/engines.js';
import { type VerificationResult, verifyIdentity } from '../src/pipeline/verify-identity.js';
import { DOCS_DIR, FACES_DIR } from './helpers.js';

type Entry = ManifestEntry;

const manifest = await readManifest();
const config = loadBiometryConfig({});
const engines = memoized(createEngines({ ocrWorkers: 1 }));

/**
 * The cases of this file present the same documents and selfies again and again (each clean card
 * with its holder's selfie, with another person's, with wrong declared data…). Face detection and
 * OCR are deterministic: the engines here run once per distinct input and hand the same result to
 * every later case, so the pipeline's decisions are tested on each case at the cost of one
 * analysis per image. Every other stage (decode checks, MRZ parsing and correction, ELA, moiré,
 * portrait ghost, cross-validation) runs in full for every case.
 */
function memoized(real: Engines): Engines {
  const key = (bytes: Uint8Array, options: unknown) =>
    `${createHash('sha256').update(bytes).digest('hex')}:${JSON.stringify(options ?? null)}`;
  const once = <T>(cache: Map<string, Promise<T>>, id: string, compute: () => Promise<T>) => {
    let result = cache.get(id);
    if (!result) {
      result = compute();
      cache.set(id, result);
    }
    return result;
  };
  const detections = new Map<string, Promise<Awaited<ReturnType<FaceEngine['detect']>>>>();
  const recognitions = new Map<string, Promise<Awaited<ReturnType<OcrPool['recognize']>>>>();
  return {
    async faces() {
      const engine = await real.faces();
      return {
        modelVersions: engine.modelVersions,
        detectFrame: engine.detectFrame,
        detect: (image, options) =>
          image instanceof Uint8Array
            ? once(detections, key(image, options), () => engine.detect(image, options))
            : engine.detect(image, options),
      };
    },
    async ocr() {
      const pool = await real.ocr();
      return {
        size: pool.size,
        version: pool.version,
        stats: () => pool.stats(),
        close: () => pool.close(),
        recognize: (image, options) =>
          once(recognitions, key(image, null), () => pool.recognize(image, options)),
      };
    },
    close: () => real.close(),
  };
}
const face = (file: string) => fs.readFile(new URL(file, FACES_DIR));
const doc = (file: string | undefined) =>
  file ? fs.readFile(new URL(file, DOCS_DIR)) : Promise.resolve(null);

/** A selfie of the document holder from a *different* photograph where the fixtures have one. */
const SAME_PERSON: Record<string, string> = {
  'obama_2012_oval_office_portrait.jpg': 'obama_2009_joint_session.jpg',
  'obama_2009_joint_session.jpg': 'obama_2012_oval_office_portrait.jpg',
  'obama_2010_blue_room.jpg': 'obama_2012_oval_office_portrait.jpg',
  'biden_2010_blue_room.jpg': 'biden_2010_blue_room.jpg',
  'eileen_collins_nasa.jpg': 'eileen_collins_nasa.jpg',
};
const OTHER_PERSON: Record<string, string> = {
  'obama_2012_oval_office_portrait.jpg': 'biden_2010_blue_room.jpg',
  'obama_2009_joint_session.jpg': 'eileen_collins_nasa.jpg',
  'obama_2010_blue_room.jpg': 'biden_2010_blue_room.jpg',
  'biden_2010_blue_room.jpg': 'obama_2009_joint_session.jpg',
  'eileen_collins_nasa.jpg': 'obama_2012_oval_office_portrait.jpg',
};

async function run(
  entry: Entry,
  selfie: string,
  declared = entry.declared,
  options: { recto?: Buffer; config?: typeof config } = {},
): Promise<VerificationResult> {
  return verifyIdentity(
    {
      documentType: entry.documentType,
      selfie: await face(selfie),
      recto: options.recto ?? ((await doc(entry.recto)) as Buffer),
      verso: await doc(entry.verso),
      declared,
      now: new Date('2026-11-23T00:00:00Z'),
    },
    engines,
    options.config ?? config,
  );
}

describe('pipeline accuracy on the fixtures and generated documents', () => {
  after(() => engines.close());
  const clean = manifest.filter((entry) => entry.variant === 'clean');

  it('verifies every clean document with a selfie of its holder', async () => {
    for (const entry of clean) {
      const result = await run(entry, SAME_PERSON[entry.portrait] as string);
      assert.equal(
        result.outcome,
        'verified',
        `${entry.id}: ${result.reasons.join('; ')} ${JSON.stringify(result.scores)}`,
      );
      for (const check of [
        'mrz_check_digits',
        'last_name',
        'first_name',
        'date_of_birth',
        'gender',
        'nationality',
        'document_expiry',
      ])
        assert.equal(result.crossValidations[check]?.passed, true, `${entry.id} ${check}`);
      // Read within the OCR budget.
      assert.equal(result.scores.ocr_timed_out, false, entry.id);
      assert.ok((result.scores.ocr_passes as number) >= 1, entry.id);
    }
  });

  it('rejects every clean document presented with another person’s selfie', async () => {
    for (const entry of clean) {
      const result = await run(entry, OTHER_PERSON[entry.portrait] as string);
      assert.equal(result.outcome, 'rejected', `${entry.id}: ${JSON.stringify(result.scores)}`);
      assert.equal(result.crossValidations.face_match?.passed, false);
    }
  });

  it('rejects a wrong declared name or date of birth', async () => {
    const entry = clean.find((candidate) => candidate.id === 'td3-fra-martin') as Entry;
    const selfie = SAME_PERSON[entry.portrait] as string;
    const wrongName = await run(entry, selfie, { ...entry.declared, last_name: 'Bernard' });
    assert.equal(wrongName.outcome, 'rejected');
    assert.equal(wrongName.crossValidations.last_name?.passed, false);
    const wrongBirth = await run(entry, selfie, { ...entry.declared, date_of_birth: '1972-06-30' });
    assert.equal(wrongBirth.outcome, 'rejected');
    assert.equal(wrongBirth.crossValidations.date_of_birth?.passed, false);
  });

  it('rejects a document with a broken check digit and flags a photographed screen', async () => {
    const broken = manifest.find((entry) => entry.id === 'td1-fra-dupre-broken-dob') as Entry;
    const brokenResult = await run(broken, SAME_PERSON[broken.portrait] as string);
    assert.equal(brokenResult.outcome, 'rejected', brokenResult.reasons.join('; '));
    assert.equal(brokenResult.crossValidations.mrz_check_digits?.passed, false);
    const screen = manifest.find((entry) => entry.id === 'td3-esp-garcia-screen') as Entry;
    const screenResult = await run(screen, SAME_PERSON[screen.portrait] as string);
    assert.equal(screenResult.outcome, 'pending_review', screenResult.reasons.join('; '));
    assert.ok((screenResult.scores.moire as number) >= config.moireReviewScore);
  });

  it('sends a replaced portrait to review, which would otherwise verify', async () => {
    const entry = clean.find((candidate) => candidate.id === 'td3-esp-garcia') as Entry;
    // Another holder's face on María García's passport, saved at q85 before and q95 after the paste.
    const recto = await swapPortrait({
      recto: (await doc(entry.recto)) as Buffer,
      layout: 'TD3',
      donor: 'obama_2012_oval_office_portrait.jpg',
      cardQuality: 85,
      finalQuality: 95,
    });
    const selfie = 'obama_2009_joint_session.jpg';
    const forged = await run(entry, selfie, entry.declared, { recto });
    assert.equal(
      forged.outcome,
      'pending_review',
      `${forged.reasons.join('; ')} ${JSON.stringify(forged.scores)}`,
    );
    assert.deepEqual(forged.reasons, [
      'document portrait appears pasted onto the card after it was compressed',
    ]);
    assert.equal(forged.crossValidations.portrait_integrity?.passed, false);
    const unchecked = await run(entry, selfie, entry.declared, {
      recto,
      config: { ...config, portraitGhostReviewRatio: Number.POSITIVE_INFINITY },
    });
    assert.equal(unchecked.outcome, 'verified', unchecked.reasons.join('; '));
  });

  it('still verifies genuine documents re-saved as phones and apps do', async () => {
    for (const entry of clean.filter((candidate) =>
      ['td1-bel-okafor', 'td3-fra-martin'].includes(candidate.id),
    )) {
      const recto = (await doc(entry.recto)) as Buffer;
      for (const [variant, bytes] of [
        ['q70 then q95', await resaved(recto, 70, 95)],
        ['q60', await resaved(recto, 60)],
      ] as const) {
        const result = await run(entry, SAME_PERSON[entry.portrait] as string, entry.declared, {
          recto: bytes,
        });
        assert.equal(
          result.outcome,
          'verified',
          `${entry.id} ${variant}: ${result.reasons.join('; ')} ${JSON.stringify(result.scores)}`,
        );
        assert.equal(result.crossValidations.portrait_integrity?.passed, true);
      }
    }
  });

  it('ends in error with a reason when the selfie has no face or two faces', async () => {
    const entry = clean[0] as Entry;
    const twoFaces = await run(entry, 'obama_biden_2010_blue_room_pair.jpg');
    assert.equal(twoFaces.outcome, 'error');
    assert.match(twoFaces.failureReason ?? '', /more than one face/);
    const noFace = await verifyIdentity(
      {
        documentType: entry.documentType,
        selfie: (await doc(entry.verso)) as Buffer,
        recto: (await doc(entry.recto)) as Buffer,
        verso: await doc(entry.verso),
        declared: entry.declared,
      },
      engines,
      config,
    );
    assert.equal(noFace.outcome, 'error');
    assert.match(noFace.failureReason ?? '', /no face/);
  });
});
