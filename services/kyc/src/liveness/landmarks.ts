export interface LandmarksSummary {
  yawMin: number;
  yawMax: number;
  pitchMin: number;
  pitchMax: number;
  faceMotionVariance: number;
  depthVarianceProxy: number;
}

export type ChallengeType = 'blink' | 'head_turn';

/**
 * Plausibility of the head-pose summary the page computed. Angles are degrees; motion and depth
 * variances are normalised to the face width (dimensionless). A printed photo or a screen held
 * still is flat (no depth variance, no motion); a synthetic summary tends to be impossible.
 */
export const LANDMARK_LIMITS = {
  maxAbsYaw: 90,
  maxAbsPitch: 90,
  minHeadTurnYawRange: 15,
  maxYawRange: 120,
  maxPitchRange: 90,
  minMotionVariance: 1e-4,
  maxMotionVariance: 0.5,
  minDepthVariance: 1e-4,
  maxDepthVariance: 1,
} as const;

export function checkLandmarks(summary: LandmarksSummary, challenge: ChallengeType): string[] {
  const failures: string[] = [];
  const values = Object.values(summary);
  const limits = LANDMARK_LIMITS;
  if (values.some((value) => !Number.isFinite(value))) return ['LANDMARKS_IMPOSSIBLE'];
  const yawRange = summary.yawMax - summary.yawMin;
  const pitchRange = summary.pitchMax - summary.pitchMin;
  if (
    yawRange < 0 ||
    pitchRange < 0 ||
    Math.max(Math.abs(summary.yawMin), Math.abs(summary.yawMax)) > limits.maxAbsYaw ||
    Math.max(Math.abs(summary.pitchMin), Math.abs(summary.pitchMax)) > limits.maxAbsPitch ||
    yawRange > limits.maxYawRange ||
    pitchRange > limits.maxPitchRange ||
    summary.faceMotionVariance < 0 ||
    summary.depthVarianceProxy < 0 ||
    summary.faceMotionVariance > limits.maxMotionVariance ||
    summary.depthVarianceProxy > limits.maxDepthVariance
  ) {
    return ['LANDMARKS_IMPOSSIBLE'];
  }
  if (summary.depthVarianceProxy < limits.minDepthVariance) failures.push('FLAT_FACE');
  if (summary.faceMotionVariance < limits.minMotionVariance) failures.push('NO_NATURAL_MOTION');
  if (challenge === 'head_turn' && yawRange < limits.minHeadTurnYawRange)
    failures.push('HEAD_TURN_NOT_DETECTED');
  return failures;
}
