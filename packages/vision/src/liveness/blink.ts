import type { Point2 } from './head-pose.js';

/**
 * Eye aspect ratio (Soukupová & Čech 2016): (|p2−p6| + |p3−p5|) / (2·|p1−p4|) over the six
 * eye-contour points p1…p6 (corner, two upper lid, corner, two lower lid). ≈ 0.25–0.35 open,
 * → 0 closed; independent of the face's scale and of in-plane rotation.
 */
export function eyeAspectRatio(eye: readonly Point2[]): number {
  const [p1, p2, p3, p4, p5, p6] = eye as [Point2, Point2, Point2, Point2, Point2, Point2];
  const d = (a: Point2, b: Point2) => Math.hypot(a.x - b.x, a.y - b.y);
  const width = d(p1, p4);
  if (width === 0) return 0;
  return (d(p2, p6) + d(p3, p5)) / (2 * width);
}

/** p1…p6 of each eye in the iBUG 68 layout. */
export const EYES_68 = [
  [36, 37, 38, 39, 40, 41],
  [42, 43, 44, 45, 46, 47],
] as const;

/** p1…p6 of each eye in the MediaPipe face mesh. */
export const EYES_MESH = [
  [33, 160, 158, 133, 153, 144],
  [362, 385, 387, 263, 373, 380],
] as const;

/** Mean EAR of both eyes. */
export function meanEyeAspectRatio(
  landmarks: readonly Point2[],
  eyes: readonly (readonly number[])[],
): number {
  let sum = 0;
  for (const eye of eyes) sum += eyeAspectRatio(eye.map((index) => landmarks[index] as Point2));
  return sum / eyes.length;
}

export interface EarSample {
  timeMs: number;
  ear: number;
}

export interface BlinkEvent {
  /** Last open frame before and first reopened frame after the closure. */
  startMs: number;
  endMs: number;
  /** Time of the lowest EAR. */
  atMs: number;
  /** Lowest EAR relative to the open-eye baseline (0 = fully closed, 1 = no change). */
  depth: number;
}

export interface BlinkOptions {
  /** A blink: EAR below this fraction of the open-eye baseline. Default 0.75. */
  closedRatio?: number;
  /** …and back above this fraction afterwards. Default 0.88. */
  reopenRatio?: number;
  /** Longest closure (first to last closed frame) still counted as a blink; longer is eyes kept closed. Default 700 ms. */
  maxDurationMs?: number;
  /** Half-width of the window the baseline (median EAR) is taken over. Default 1500 ms. */
  baselineWindowMs?: number;
}

/**
 * Blinks in an EAR time series: the EAR drops below `closedRatio` × the local open-eye
 * baseline (the median over ±`baselineWindowMs`, robust to the few closed frames) and comes
 * back above `reopenRatio` × baseline within `maxDurationMs`.
 */
export function detectBlinks(samples: readonly EarSample[], options: BlinkOptions = {}): BlinkEvent[] {
  const closedRatio = options.closedRatio ?? 0.75;
  const reopenRatio = options.reopenRatio ?? 0.88;
  const maxDurationMs = options.maxDurationMs ?? 700;
  const window = options.baselineWindowMs ?? 1500;
  const baseline = samples.map((sample) => {
    const around = samples
      .filter((other) => Math.abs(other.timeMs - sample.timeMs) <= window)
      .map((other) => other.ear)
      .sort((a, b) => a - b);
    return around[Math.floor(around.length / 2)] ?? sample.ear;
  });
  const blinks: BlinkEvent[] = [];
  let index = 0;
  while (index < samples.length) {
    const sample = samples[index] as EarSample;
    const open = baseline[index] as number;
    if (open <= 0 || sample.ear >= closedRatio * open) {
      index += 1;
      continue;
    }
    // Closed run: extend while below the reopen level.
    const startIndex = index;
    let lowest = index;
    while (
      index < samples.length &&
      (samples[index] as EarSample).ear < reopenRatio * (baseline[index] as number)
    ) {
      if ((samples[index] as EarSample).ear < (samples[lowest] as EarSample).ear) lowest = index;
      index += 1;
    }
    if (index >= samples.length) break; // never reopened within the video
    const startMs = startIndex > 0 ? (samples[startIndex - 1] as EarSample).timeMs : sample.timeMs;
    const endMs = (samples[index] as EarSample).timeMs;
    // How long the eye was seen closed: first to last closed frame.
    const closedMs = (samples[index - 1] as EarSample).timeMs - sample.timeMs;
    if (closedMs <= maxDurationMs)
      blinks.push({
        startMs,
        endMs,
        atMs: (samples[lowest] as EarSample).timeMs,
        depth: (samples[lowest] as EarSample).ear / (baseline[lowest] as number),
      });
  }
  return blinks;
}
