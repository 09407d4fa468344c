/**
 * The accuracy figures of the vision test set, as one evaluation that the vision tests assert on and
 * the benchmarks print beside their timings: MRZ reading of the generated documents (clean,
 * degraded, broken check digits) and face matching of the fixture pairs. The reader and the
 * describer are parameters, so a service's own pipeline (kyc's document analysis) is measured
 * through exactly the code it runs.
 */
import fs from 'node:fs/promises';
import type { MrzReading } from '../mrz/mrz-reader.js';
import { euclideanDistance } from '../faces/similarity.js';
import { type ManifestEntry, readDocument, readManifest } from './documents.js';
import { FACES_DIR } from './synthetic-video.js';

export const DEGRADED_VARIANTS = ['jpeg', 'rotated', 'blurred', 'screen'] as const;

/** The image of an entry that carries its MRZ. */
export function mrzImage(entry: ManifestEntry): Promise<Buffer> {
  return readDocument((entry.mrzSide === 'verso' ? entry.verso : entry.recto) as string);
}

export interface SetScore {
  passed: number;
  total: number;
  /** Ids of the entries that did not pass. */
  misses: string[];
}

export interface MrzEvaluation {
  /** Read exactly (valid, lines as printed). */
  clean: SetScore;
  /** JPEG q30, rotated 3°, blurred, photographed screen: read exactly. */
  degraded: SetScore;
  /** A wrong check digit: MRZ found and refused (never valid). */
  broken: SetScore;
  /** Entries parsed valid with lines other than the printed ones (must stay empty). */
  validButWrong: string[];
}

const exact = (reading: MrzReading | null, entry: ManifestEntry) =>
  reading?.valid === true && reading.lines.join('\n') === entry.mrz.join('\n');

/** Reads the MRZ side of every clean, degraded and broken document with `read`, one at a time. */
export async function evaluateMrzSet(
  read: (image: Buffer, entry: ManifestEntry) => Promise<MrzReading | null>,
): Promise<MrzEvaluation> {
  const manifest = await readManifest();
  const score = (): SetScore => ({ passed: 0, total: 0, misses: [] });
  const result: MrzEvaluation = { clean: score(), degraded: score(), broken: score(), validButWrong: [] };
  for (const entry of manifest) {
    const set =
      entry.variant === 'clean'
        ? result.clean
        : entry.variant === 'broken'
          ? result.broken
          : (DEGRADED_VARIANTS as readonly string[]).includes(entry.variant)
            ? result.degraded
            : undefined;
    if (!set) continue;
    const reading = await read(await mrzImage(entry), entry);
    const passed =
      entry.variant === 'broken' ? reading?.found === true && !reading.valid : exact(reading, entry);
    set.total += 1;
    if (passed) set.passed += 1;
    else set.misses.push(entry.id);
    if (reading?.valid && !exact(reading, entry)) result.validButWrong.push(entry.id);
  }
  return result;
}

export const FACE_FIXTURES = {
  O1: 'obama_2012_oval_office_portrait.jpg',
  O2: 'obama_2009_joint_session.jpg',
  O3: 'obama_2010_blue_room.jpg',
  B1: 'biden_2010_blue_room.jpg',
  C: 'eileen_collins_nasa.jpg',
  PAIR: 'obama_biden_2010_blue_room_pair.jpg',
} as const;

/** The pairs of `shared/fixtures/faces/README.md`: three of one person, seven of different people. */
export const SAME_PAIRS = [
  ['O1', 'O2'],
  ['O1', 'O3'],
  ['O2', 'O3'],
] as const;
export const DIFFERENT_PAIRS = [
  ['O1', 'B1'],
  ['O2', 'B1'],
  ['O3', 'B1'],
  ['O1', 'C'],
  ['O2', 'C'],
  ['O3', 'C'],
  ['B1', 'C'],
] as const;

/** The threshold the services match at (biometry's BIOMETRY_FACE_MATCH_DISTANCE, kyc's liveness match). */
export const MATCH_DISTANCE = 0.55;
/** Different people must stay clearly apart, not just beyond the threshold. */
export const DIFFERENT_MIN_DISTANCE = 0.68;

export function readFaceFixture(file: string): Promise<Buffer> {
  return fs.readFile(new URL(file, FACES_DIR));
}

export interface FaceEvaluation extends SetScore {
  /** Distance of every pair, `A~B` (same person) or `A/B` (different), for the failure messages. */
  distances: Record<string, number>;
}

/**
 * Describes the five single portraits with `describe` (the descriptor of the best face, undefined
 * when none) and scores the ten pairs: same person below `MATCH_DISTANCE`, different people above
 * `DIFFERENT_MIN_DISTANCE`.
 */
export async function evaluateFacePairs(
  describe: (image: Buffer) => Promise<ArrayLike<number> | undefined>,
): Promise<FaceEvaluation> {
  const descriptors = new Map<string, ArrayLike<number> | undefined>();
  for (const name of ['O1', 'O2', 'O3', 'B1', 'C'] as const)
    descriptors.set(name, await describe(await readFaceFixture(FACE_FIXTURES[name])));
  const result: FaceEvaluation = { passed: 0, total: 0, misses: [], distances: {} };
  const pair = (a: string, b: string, same: boolean) => {
    const left = descriptors.get(a);
    const right = descriptors.get(b);
    const distance = left && right ? euclideanDistance(Array.from(left), Array.from(right)) : Number.NaN;
    const label = same ? `${a}~${b}` : `${a}/${b}`;
    result.distances[label] = Math.round(distance * 1000) / 1000;
    const passed = same ? distance < MATCH_DISTANCE : distance > DIFFERENT_MIN_DISTANCE;
    result.total += 1;
    if (passed) result.passed += 1;
    else result.misses.push(label);
  };
  for (const [a, b] of SAME_PAIRS) pair(a, b, true);
  for (const [a, b] of DIFFERENT_PAIRS) pair(a, b, false);
  return result;
}

/** `6/6` style figures of an evaluation, for a benchmark's output. */
export const figure = (score: SetScore) => `${score.passed}/${score.total}`;
