import { randomInt } from 'node:crypto';
import type { ChallengeStep } from '@trustplane/vision';

/** Actions a challenge is drawn from: the ones the engine reads reliably from a webcam (no nods). */
export const CHALLENGE_ACTIONS = ['turn_left', 'turn_right', 'blink'] as const;
export type ChallengeAction = (typeof CHALLENGE_ACTIONS)[number];

/**
 * Timing of a challenge, ms from the recording's first frame. Each step is prompted when its
 * window opens and the next prompt comes one slot later; a step's window stays open `graceMs`
 * into the next slot, for people who react slowly. The engine requires every step's action
 * inside its window, after the previous step's, and no opposite turn inside a turn's window.
 */
export const CHALLENGE_TIMING = {
  steps: 3,
  /** Neutral pose at the start (the engine's reference for "turned"). */
  leadMs: 800,
  /** Slot per step, drawn uniformly in 100 ms steps. */
  minSlotMs: 1300,
  maxSlotMs: 1800,
  graceMs: 500,
  /** Recording continues this long after the last window closes. */
  tailMs: 200,
} as const;

export type ChallengeTiming = { readonly [K in keyof typeof CHALLENGE_TIMING]: number };

export interface IssuedStep extends ChallengeStep {
  action: ChallengeAction;
}

export interface IssuedChallenge {
  steps: IssuedStep[];
  /** How long the page records, ms. */
  recordingMs: number;
}

/**
 * A random challenge for one liveness request: `CHALLENGE_TIMING.steps` actions, never the
 * same twice in a row (3 × 2 × 2 = 12 orders), each with a random slot length (6 per step), so
 * a recording made for one request does not fit another's (1 in 2,592 for two random draws of
 * order and timing; the order alone is 1 in 12). Drawn with the CSPRNG.
 */
export function issueChallenge(timing: ChallengeTiming = CHALLENGE_TIMING): IssuedChallenge {
  const steps: IssuedStep[] = [];
  let at = timing.leadMs;
  let previous: ChallengeAction | undefined;
  for (let index = 0; index < timing.steps; index += 1) {
    const choices = CHALLENGE_ACTIONS.filter((action) => action !== previous);
    const action = choices[randomInt(choices.length)] as ChallengeAction;
    const slot = timing.minSlotMs + 100 * randomInt((timing.maxSlotMs - timing.minSlotMs) / 100 + 1);
    steps.push({ action, windowStartMs: at, windowEndMs: at + slot + timing.graceMs });
    at += slot;
    previous = action;
  }
  const lastEnd = Math.max(...steps.map((step) => step.windowEndMs));
  return { steps, recordingMs: lastEnd + timing.tailMs };
}
