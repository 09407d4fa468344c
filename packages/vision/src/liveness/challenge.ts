import type { BlinkEvent } from './blink.js';

export const LIVENESS_ACTIONS = ['turn_left', 'turn_right', 'look_up', 'look_down', 'blink'] as const;
export type LivenessAction = (typeof LIVENESS_ACTIONS)[number];

export interface ChallengeStep {
  action: LivenessAction;
  /** Window, in ms from the first frame of the video, in which the action must be seen. */
  windowStartMs: number;
  windowEndMs: number;
}

export interface PoseSample {
  timeMs: number;
  yaw: number;
  pitch: number;
}

export interface MotionEvent {
  action: Exclude<LivenessAction, 'blink'>;
  startMs: number;
  endMs: number;
  /** Time of the largest excursion. */
  atMs: number;
  /** Largest excursion from the neutral pose, degrees. */
  degrees: number;
}

/** Degrees away from the neutral pose that count as a head turn (yaw) or a nod (pitch). */
export const TURN_DEGREES = 15;
export const NOD_DEGREES = 12;

/**
 * The neutral pose: the median yaw and pitch of the frames closest to frontal (the subject's
 * resting pose; a generic 3-D model gives every face a small constant offset).
 */
export function neutralPose(track: readonly PoseSample[]): { yaw: number; pitch: number } {
  if (track.length === 0) return { yaw: 0, pitch: 0 };
  const byFrontal = [...track].sort((a, b) => Math.abs(a.yaw) - Math.abs(b.yaw));
  const core = byFrontal.slice(0, Math.max(1, Math.ceil(track.length / 2)));
  const median = (values: number[]) =>
    [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
  return { yaw: median(core.map((s) => s.yaw)), pitch: median(core.map((s) => s.pitch)) };
}

/**
 * Head movements: maximal runs of frames whose yaw (pitch) is beyond the threshold on one
 * side of the neutral pose. Yaw + is the subject's own left (nose towards the image right of
 * an unmirrored camera), pitch + is up.
 */
export function motionEvents(track: readonly PoseSample[], neutral = neutralPose(track)): MotionEvent[] {
  const events: MotionEvent[] = [];
  const axes: {
    value: (s: PoseSample) => number;
    threshold: number;
    positive: MotionEvent['action'];
    negative: MotionEvent['action'];
  }[] = [
    {
      value: (s) => s.yaw - neutral.yaw,
      threshold: TURN_DEGREES,
      positive: 'turn_left',
      negative: 'turn_right',
    },
    {
      value: (s) => s.pitch - neutral.pitch,
      threshold: NOD_DEGREES,
      positive: 'look_up',
      negative: 'look_down',
    },
  ];
  for (const axis of axes) {
    let run: { sign: number; start: number; end: number; at: number; peak: number } | undefined;
    const close = () => {
      if (!run) return;
      events.push({
        action: run.sign > 0 ? axis.positive : axis.negative,
        startMs: run.start,
        endMs: run.end,
        atMs: run.at,
        degrees: run.peak,
      });
      run = undefined;
    };
    for (const sample of track) {
      const value = axis.value(sample);
      const sign = value >= axis.threshold ? 1 : value <= -axis.threshold ? -1 : 0;
      if (sign === 0 || (run && run.sign !== sign)) close();
      if (sign === 0) continue;
      if (!run)
        run = { sign, start: sample.timeMs, end: sample.timeMs, at: sample.timeMs, peak: Math.abs(value) };
      run.end = sample.timeMs;
      if (Math.abs(value) > run.peak) {
        run.peak = Math.abs(value);
        run.at = sample.timeMs;
      }
    }
    close();
  }
  return events.sort((a, b) => a.atMs - b.atMs);
}

const OPPOSITE: Record<MotionEvent['action'], MotionEvent['action']> = {
  turn_left: 'turn_right',
  turn_right: 'turn_left',
  look_up: 'look_down',
  look_down: 'look_up',
};

export interface StepResult {
  action: LivenessAction;
  windowStartMs: number;
  windowEndMs: number;
  performed: boolean;
  /** When the action was seen (its peak), if it was. */
  atMs?: number;
  /** The opposite movement was made inside this step's window. */
  oppositeSeen?: boolean;
}

export interface ChallengeResult {
  passed: boolean;
  steps: StepResult[];
}

/**
 * The challenge was performed when every step's action is seen inside its window, in the
 * order of the steps (each after the previous one), and no step's window contains the
 * opposite movement (so turning both ways in every window does not satisfy any order).
 */
export function evaluateChallenge(
  steps: readonly ChallengeStep[],
  motions: readonly MotionEvent[],
  blinks: readonly BlinkEvent[],
): ChallengeResult {
  const results: StepResult[] = [];
  let after = Number.NEGATIVE_INFINITY;
  for (const step of steps) {
    const inWindow = (atMs: number) => atMs >= step.windowStartMs && atMs <= step.windowEndMs && atMs > after;
    let atMs: number | undefined;
    let oppositeSeen = false;
    if (step.action === 'blink') {
      atMs = blinks.find((blink) => inWindow(blink.atMs))?.atMs;
    } else {
      const action = step.action;
      atMs = motions.find((event) => event.action === action && inWindow(event.atMs))?.atMs;
      oppositeSeen = motions.some(
        (event) =>
          event.action === OPPOSITE[action] &&
          event.atMs >= step.windowStartMs &&
          event.atMs <= step.windowEndMs,
      );
    }
    const performed = atMs !== undefined && !oppositeSeen;
    results.push({
      action: step.action,
      windowStartMs: step.windowStartMs,
      windowEndMs: step.windowEndMs,
      performed,
      ...(atMs !== undefined ? { atMs } : {}),
      ...(step.action === 'blink' ? {} : { oppositeSeen }),
    });
    if (atMs !== undefined) after = atMs;
  }
  return { passed: steps.length > 0 && results.every((step) => step.performed), steps: results };
}
