/**
 * Turns a liveness challenge (the steps a server handed out for one request) into the motion of
 * a synthetic video that performs it: a ±30° head turn or a blink centred in each step's window.
 * Tests generate the video after reading the challenge, as a live person would perform it.
 */
import type { ChallengeStep } from '../liveness/challenge.js';
import type { SyntheticVideoSpec, YawKeyframe } from './synthetic-video.js';

export interface ChallengeMotionOptions {
  /**
   * Perform the steps' actions in this order instead (indices into the challenge), each at the
   * time of the step it replaces: `[1, 0, 2]` swaps the first two (the wrong order).
   */
  order?: number[];
  /** Delay every action by this much (a fake camera that starts before the recording does). */
  shiftMs?: number;
  /** Head turn amplitude, degrees. Default 30. */
  turnDegrees?: number;
  /** Neutral time after the last window. Default 600 ms. */
  tailMs?: number;
}

/** The yaw keyframes, blink times and duration of a video that performs `challenge`. */
export function motionForChallenge(
  challenge: readonly ChallengeStep[],
  options: ChallengeMotionOptions = {},
): Required<Pick<SyntheticVideoSpec, 'yaw' | 'blinks' | 'durationMs' | 'blinkMs'>> {
  const shift = options.shiftMs ?? 0;
  const degrees = options.turnDegrees ?? 30;
  const blinkMs = 300;
  const order = options.order ?? challenge.map((_, index) => index);
  if (order.length !== challenge.length) throw new Error('order must name every step once');
  const yaw: YawKeyframe[] = [{ timeMs: 0, yaw: 0 }];
  const blinks: number[] = [];
  challenge.forEach((step, index) => {
    const performed = challenge[order[index] as number] as ChallengeStep;
    // Peak at 40 % of the window: inside it with margin on both sides, and well before the next
    // step's window opens (windows start ≥ 1.3 s apart).
    const centre = step.windowStartMs + 0.4 * (step.windowEndMs - step.windowStartMs) + shift;
    if (performed.action === 'blink') {
      blinks.push(centre - blinkMs / 2);
      return;
    }
    const sign = performed.action === 'turn_left' ? 1 : performed.action === 'turn_right' ? -1 : 0;
    if (sign === 0) throw new Error(`the generator cannot perform ${performed.action}`);
    yaw.push(
      { timeMs: centre - 450, yaw: 0 },
      { timeMs: centre, yaw: sign * degrees },
      { timeMs: centre + 450, yaw: 0 },
    );
  });
  const end = Math.max(...challenge.map((step) => step.windowEndMs));
  return { yaw, blinks, blinkMs, durationMs: end + shift + (options.tailMs ?? 600) };
}

/** Turn left, then right, then blink: a typical challenge of three steps, as `init` hands one out. */
export const LEFT_RIGHT_BLINK: ChallengeStep[] = [
  { action: 'turn_left', windowStartMs: 500, windowEndMs: 2200 },
  { action: 'turn_right', windowStartMs: 2200, windowEndMs: 3800 },
  { action: 'blink', windowStartMs: 3600, windowEndMs: 5000 },
];

/** Head turns performing `LEFT_RIGHT_BLINK` (the blink goes at 4000 ms): ±30°, each back to neutral. */
export const LEFT_RIGHT_TURNS: YawKeyframe[] = [
  { timeMs: 0, yaw: 0 },
  { timeMs: 700, yaw: 0 },
  { timeMs: 1400, yaw: 30 },
  { timeMs: 2100, yaw: 0 },
  { timeMs: 2800, yaw: -30 },
  { timeMs: 3500, yaw: 0 },
];
