/**
 * Maps a face-descriptor Euclidean distance to a similarity in [0, 1]:
 * `1 / (1 + exp(STEEPNESS · (distance − MIDPOINT)))`, strictly decreasing in the distance.
 *
 * Calibrated on `shared/fixtures/faces` (face-api 1.7 recognition net, SSD MobileNet v1):
 * same person 0.34–0.47, different people 0.78–0.89. The midpoint sits between the two
 * clusters, so 0.47 ↦ 0.88 and 0.78 ↦ 0.06.
 */
export const SIMILARITY_MIDPOINT = 0.6;
export const SIMILARITY_STEEPNESS = 15;

export function distanceToSimilarity(distance: number): number {
  const similarity = 1 / (1 + Math.exp(SIMILARITY_STEEPNESS * (distance - SIMILARITY_MIDPOINT)));
  return Math.round(similarity * 10_000) / 10_000;
}

/** Inverse of `distanceToSimilarity` (for expressing similarity thresholds as distances). */
export function similarityToDistance(similarity: number): number {
  return SIMILARITY_MIDPOINT + Math.log(1 / similarity - 1) / SIMILARITY_STEEPNESS;
}

export function euclideanDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error('descriptors differ in length');
  let sum = 0;
  for (let index = 0; index < a.length; index += 1) {
    const delta = (a[index] as number) - (b[index] as number);
    sum += delta * delta;
  }
  return Math.sqrt(sum);
}
