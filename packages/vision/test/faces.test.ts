import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { before, describe, it } from 'node:test';
import { type DetectedFace, type FaceEngine, loadFaceEngine } from '../src/faces/face-engine.js';
import { distanceToSimilarity, euclideanDistance, similarityToDistance } from '../src/faces/similarity.js';

const FACES = new URL('../../../../shared/fixtures/faces/', import.meta.url);
const O1 = 'obama_2012_oval_office_portrait.jpg';
const O2 = 'obama_2009_joint_session.jpg';
const O3 = 'obama_2010_blue_room.jpg';
const B1 = 'biden_2010_blue_room.jpg';
const C = 'eileen_collins_nasa.jpg';
const PAIR = 'obama_biden_2010_blue_room_pair.jpg';
/** The threshold the biometry service uses by default (BIOMETRY_FACE_MATCH_DISTANCE). */
const MATCH_DISTANCE = 0.55;

describe('face engine on the public-domain fixtures', () => {
  let engine: FaceEngine;
  const faces = new Map<string, DetectedFace[]>();

  before(async () => {
    engine = await loadFaceEngine();
    for (const file of [O1, O2, O3, B1, C, PAIR])
      faces.set(file, await engine.detect(await fs.readFile(new URL(file, FACES))));
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

  const distance = (a: string, b: string) =>
    euclideanDistance(
      (faces.get(a) as DetectedFace[])[0]?.descriptor ?? [],
      (faces.get(b) as DetectedFace[])[0]?.descriptor ?? [],
    );

  it('matches the three SAME pairs and separates the seven DIFFERENT ones', () => {
    for (const [a, b] of [
      [O1, O2],
      [O1, O3],
      [O2, O3],
    ] as const)
      assert.ok(distance(a, b) < MATCH_DISTANCE, `${a} ~ ${b}: ${distance(a, b)}`);
    for (const [a, b] of [
      [O1, B1],
      [O2, B1],
      [O3, B1],
      [O1, C],
      [O2, C],
      [O3, C],
      [B1, C],
    ] as const)
      assert.ok(distance(a, b) > 0.68, `${a} vs ${b}: ${distance(a, b)}`);
  });

  it('matches each face of the pair photo to its own person', () => {
    const pair = faces.get(PAIR) as DetectedFace[];
    const left = pair.reduce((a, b) => (a.box.x < b.box.x ? a : b));
    const right = pair.reduce((a, b) => (a.box.x < b.box.x ? b : a));
    const o1 = (faces.get(O1) as DetectedFace[])[0]?.descriptor ?? [];
    const b1 = (faces.get(B1) as DetectedFace[])[0]?.descriptor ?? [];
    assert.ok(euclideanDistance(left.descriptor, o1) < MATCH_DISTANCE);
    assert.ok(euclideanDistance(right.descriptor, b1) < MATCH_DISTANCE);
    assert.ok(euclideanDistance(left.descriptor, right.descriptor) > 0.68);
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
