import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { type DetectedFace, type FaceEngine, loadFaceEngine } from '../src/faces/face-engine.js';
import { distanceToSimilarity, euclideanDistance, similarityToDistance } from '../src/faces/similarity.js';
import { decodeDocumentRaster } from '../src/images/document-raster.js';
import {
  DIFFERENT_MIN_DISTANCE,
  evaluateFacePairs,
  FACE_FIXTURES,
  MATCH_DISTANCE,
  readFaceFixture,
} from '../src/testkit/evaluation.js';

const { O1, O2, O3, B1, C, PAIR } = FACE_FIXTURES;

describe('face engine on the public-domain fixtures', () => {
  let engine: FaceEngine;
  const faces = new Map<string, DetectedFace[]>();

  before(async () => {
    engine = await loadFaceEngine();
    for (const file of [O1, O2, O3, B1, C, PAIR])
      faces.set(file, await engine.detect(await readFaceFixture(file)));
  });

  it('loads the models once per process', async () => {
    assert.equal(await loadFaceEngine(), engine);
    assert.equal(engine.modelVersions.detector, 'ssd_mobilenetv1');
  });

  it('finds exactly one face per portrait and two on the pair photo', () => {
    for (const file of [O1, O2, O3, B1, C]) assert.equal(faces.get(file)?.length, 1, file);
    const pair = faces.get(PAIR) as DetectedFace[];
    assert.equal(pair.length, 2);
    assert.equal(pair[0]?.descriptor.length, 128);
  });

  it('matches the three SAME pairs and separates the seven DIFFERENT ones', async () => {
    const evaluation = await evaluateFacePairs(async (image) => (await engine.detect(image))[0]?.descriptor);
    assert.equal(evaluation.total, 10);
    assert.deepEqual(evaluation.misses, [], JSON.stringify(evaluation.distances));
  });

  it('describes a decoded raster as it describes the encoded bytes', async () => {
    const bytes = await readFaceFixture(O1);
    const [fromRaster] = await engine.detect(await decodeDocumentRaster(bytes));
    const [fromBytes] = faces.get(O1) as DetectedFace[];
    assert.deepEqual(fromRaster?.box, fromBytes?.box);
    assert.ok(euclideanDistance(fromRaster?.descriptor ?? [], fromBytes?.descriptor ?? []) < 1e-6);
  });

  it('matches each face of the pair photo to its own person', () => {
    const pair = faces.get(PAIR) as DetectedFace[];
    const left = pair.reduce((a, b) => (a.box.x < b.box.x ? a : b));
    const right = pair.reduce((a, b) => (a.box.x < b.box.x ? b : a));
    const o1 = (faces.get(O1) as DetectedFace[])[0]?.descriptor ?? [];
    const b1 = (faces.get(B1) as DetectedFace[])[0]?.descriptor ?? [];
    assert.ok(euclideanDistance(left.descriptor, o1) < MATCH_DISTANCE);
    assert.ok(euclideanDistance(right.descriptor, b1) < MATCH_DISTANCE);
    assert.ok(euclideanDistance(left.descriptor, right.descriptor) > DIFFERENT_MIN_DISTANCE);
  });

  it('maps distance to similarity monotonically, with an exact inverse', () => {
    let previous = 2;
    for (let d = 0; d <= 1.5; d += 0.05) {
      const similarity = distanceToSimilarity(d);
      assert.ok(similarity <= previous);
      previous = similarity;
    }
    assert.ok(Math.abs(similarityToDistance(0.5) - 0.6) < 1e-9);
    assert.ok(distanceToSimilarity(0.47) > 0.85 && distanceToSimilarity(0.78) < 0.1);
  });
});
