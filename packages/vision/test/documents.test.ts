import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { errorLevelAnalysis } from '../src/forensics/ela.js';
import { moireAnalysis } from '../src/forensics/moire.js';
import { readMrz } from '../src/mrz/mrz-reader.js';
import { createOcrPool, type OcrPool } from '../src/mrz/ocr-pool.js';
import { decodeDocumentRaster } from '../src/images/document-raster.js';
import { readDocument, readManifest } from '../src/testkit/documents.js';
import { evaluateMrzSet, type MrzEvaluation, mrzImage } from '../src/testkit/evaluation.js';

const manifest = await readManifest();

describe('MRZ reading on the generated documents', () => {
  let pool: OcrPool;
  let evaluation: MrzEvaluation;
  before(async () => {
    pool = await createOcrPool();
    // The raster path is the one kyc's analysis runs (decoded once, shared by every stage).
    evaluation = await evaluateMrzSet(async (image) => readMrz(pool, await decodeDocumentRaster(image)));
  });
  after(async () => pool?.close());

  it('reads every clean card exactly', () => {
    assert.equal(evaluation.clean.total, 6);
    assert.deepEqual(evaluation.clean.misses, []);
  });

  it('reads at least 23 of the 24 degraded documents exactly (JPEG q30, rotated, blurred, screen)', () => {
    assert.equal(evaluation.degraded.total, 24);
    assert.ok(evaluation.degraded.passed >= 23, `missed: ${evaluation.degraded.misses.join(', ')}`);
  });

  it('never turns a broken check digit into a pass, and never parses a wrong MRZ as valid', () => {
    assert.equal(evaluation.broken.total, 3);
    assert.deepEqual(evaluation.broken.misses, []);
    assert.deepEqual(evaluation.validButWrong, []);
  });

  it('reads the encoded bytes as it reads their raster (the byte entry biometry uses)', async () => {
    const entry = manifest.find((candidate) => candidate.variant === 'rotated') as (typeof manifest)[number];
    const fromBytes = await readMrz(pool, await mrzImage(entry));
    assert.deepEqual(fromBytes.lines, entry.mrz);
  });
});

describe('forensics', () => {
  it('flags photographed screens (moiré) and leaves clean documents alone', async () => {
    for (const entry of manifest.filter(
      (candidate) => candidate.variant === 'screen' || candidate.variant === 'clean',
    )) {
      const result = await moireAnalysis(await mrzImage(entry));
      if (entry.variant === 'screen')
        assert.ok(result.score >= 0.9, `${entry.id}: ${JSON.stringify(result.details)}`);
      else assert.ok(result.score < 0.2, `${entry.id}: ${JSON.stringify(result.details)}`);
      assert.deepEqual([...result.heatmap.subarray(1, 4)], [0x50, 0x4e, 0x47]);
    }
  });

  it('returns an ELA score in [0, 1] and a PNG heatmap', async () => {
    const entry = manifest.find((candidate) => candidate.variant === 'spliced') as (typeof manifest)[number];
    const result = await errorLevelAnalysis(await readDocument(entry.recto));
    assert.ok(result.score >= 0 && result.score <= 1);
    assert.deepEqual([...result.heatmap.subarray(1, 4)], [0x50, 0x4e, 0x47]);
  });
});
