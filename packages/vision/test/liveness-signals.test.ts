import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { detectBlinks, EYES_68, eyeAspectRatio, meanEyeAspectRatio } from '../src/liveness/blink.js';
import {
  type ChallengeStep,
  evaluateChallenge,
  motionEvents,
  neutralPose,
} from '../src/liveness/challenge.js';
import {
  defaultCamera,
  estimateHeadPose,
  GENERIC_FACE_MODEL,
  LANDMARKS_68,
  LANDMARKS_MESH,
  type ModelPointName,
  type Point2,
  projectPoints,
  rotationFromEuler,
} from '../src/liveness/head-pose.js';
import { bandPass, type ColorSample, estimatePulse, powerSpectrum } from '../src/liveness/rppg.js';

/** Deterministic pseudo-random numbers (tests must not flake). */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function gaussian(next: () => number): number {
  return Math.sqrt(-2 * Math.log(Math.max(1e-12, next()))) * Math.cos(2 * Math.PI * next());
}

const NAMES = Object.keys(GENERIC_FACE_MODEL) as ModelPointName[];

/** The generic model posed and projected, placed at the landmark indices of `layout`, with pixel noise. */
function posedLandmarks(
  yaw: number,
  pitch: number,
  roll: number,
  layout: Record<ModelPointName, number>,
  noisePx: number,
  next: () => number,
): Point2[] {
  const camera = defaultCamera(640, 480);
  const projected = projectPoints(
    NAMES.map((name) => GENERIC_FACE_MODEL[name]),
    rotationFromEuler(yaw, pitch, roll),
    [15, -20, 2000],
    camera,
  );
  const landmarks: Point2[] = [];
  NAMES.forEach((name, index) => {
    const point = projected[index] as Point2;
    landmarks[layout[name]] = {
      x: point.x + noisePx * gaussian(next),
      y: point.y + noisePx * gaussian(next),
    };
  });
  return landmarks;
}

describe('head pose (solvePnP on a generic 3-D face)', () => {
  it('recovers yaw and pitch of a projected face (eyes 144 px apart) within 3° under 1 px landmark noise', () => {
    const next = random(7);
    for (const [yaw, pitch, roll] of [
      [0, 0, 0],
      [25, 0, 0],
      [-30, 5, 3],
      [12, -15, -8],
      [40, 10, 0],
      [-40, -8, 5],
    ] as const) {
      const landmarks = posedLandmarks(yaw, pitch, roll, LANDMARKS_68, 1, next);
      const pose = estimateHeadPose(landmarks, LANDMARKS_68, defaultCamera(640, 480));
      assert.ok(Math.abs(pose.yaw - yaw) < 3, `yaw ${yaw}: ${pose.yaw}`);
      assert.ok(Math.abs(pose.pitch - pitch) < 3, `pitch ${pitch}: ${pose.pitch}`);
      assert.ok(pose.error < 3, `reprojection error ${pose.error}`);
    }
  });

  it('reads the same pose from the face-mesh layout as from the 68-point layout', () => {
    const next = random(11);
    const a = estimateHeadPose(
      posedLandmarks(-22, 6, 0, LANDMARKS_MESH, 0, next),
      LANDMARKS_MESH,
      defaultCamera(640, 480),
    );
    const b = estimateHeadPose(
      posedLandmarks(-22, 6, 0, LANDMARKS_68, 0, next),
      LANDMARKS_68,
      defaultCamera(640, 480),
    );
    assert.ok(Math.abs(a.yaw - b.yaw) < 0.1 && Math.abs(a.pitch - b.pitch) < 0.1);
    assert.ok(Math.abs(a.yaw + 22) < 0.5);
  });

  it('signs yaw by the subject: + is their own left, towards the image right of an unmirrored camera', () => {
    const landmarks = posedLandmarks(20, 0, 0, LANDMARKS_68, 0, random(1));
    const nose = landmarks[LANDMARKS_68.noseTip] as Point2;
    const eyes = [landmarks[LANDMARKS_68.outerEyeLeft], landmarks[LANDMARKS_68.outerEyeRight]] as Point2[];
    const eyeMid = ((eyes[0] as Point2).x + (eyes[1] as Point2).x) / 2;
    assert.ok(nose.x > eyeMid, 'the nose leads towards the image right');
    assert.ok(estimateHeadPose(landmarks, LANDMARKS_68, defaultCamera(640, 480)).yaw > 15);
  });
});

describe('eye aspect ratio and blinks', () => {
  const eye = (open: number): Point2[] => [
    { x: 0, y: 0 },
    { x: 10, y: -open },
    { x: 20, y: -open },
    { x: 30, y: 0 },
    { x: 20, y: open },
    { x: 10, y: open },
  ];

  it('is (|p2−p6| + |p3−p5|) / 2|p1−p4|: 0.3 for an open eye, near 0 closed, scale-free', () => {
    assert.ok(Math.abs(eyeAspectRatio(eye(4.5)) - 0.3) < 1e-9);
    assert.ok(eyeAspectRatio(eye(0.3)) < 0.03);
    const scaled = eye(4.5).map((p) => ({ x: p.x * 3 + 100, y: p.y * 3 + 50 }));
    assert.ok(Math.abs(eyeAspectRatio(scaled) - 0.3) < 1e-9);
    const landmarks: Point2[] = [];
    for (const indices of EYES_68)
      indices.forEach((index, k) => {
        landmarks[index] = eye(3)[k] as Point2;
      });
    assert.ok(Math.abs(meanEyeAspectRatio(landmarks, EYES_68) - 0.2) < 1e-9);
  });

  it('finds short closures relative to the open-eye baseline, not long ones or noise', () => {
    const next = random(3);
    const samples = Array.from({ length: 60 }, (_, index) => {
      const timeMs = index * 100;
      let ear = 0.3 + 0.006 * gaussian(next);
      if (timeMs === 1500 || timeMs === 1600) ear = 0.12; // a blink
      if (timeMs >= 3500 && timeMs <= 4800) ear = 0.1; // eyes closed for 1.3 s: not a blink
      return { timeMs, ear };
    });
    const blinks = detectBlinks(samples);
    assert.equal(blinks.length, 1);
    assert.ok((blinks[0]?.atMs ?? 0) >= 1500 && (blinks[0]?.atMs ?? 0) <= 1600);
    assert.ok((blinks[0]?.depth ?? 1) < 0.5);
  });
});

describe('rPPG: detrend, band-pass 0.7–4 Hz, spectral SNR', () => {
  /** Skin colour with a pulse (green strongest, as blood absorbs), drift, and camera noise. */
  function skin(bpm: number, times: number[], amplitude: number, next: () => number): ColorSample[] {
    return times.map((timeMs) => {
      const pulse = bpm ? Math.sin((2 * Math.PI * bpm * timeMs) / 60_000) : 0;
      const drift = 3 * (timeMs / 5000);
      return {
        timeMs,
        r: 180 + drift - 0.4 * amplitude * pulse + 0.05 * gaussian(next),
        g: 120 + drift - amplitude * pulse + 0.05 * gaussian(next),
        b: 100 + drift - 0.55 * amplitude * pulse + 0.05 * gaussian(next),
      };
    });
  }
  const uniform = (count: number, stepMs: number) =>
    Array.from({ length: count }, (_, index) => index * stepMs);

  it('measures 72 bpm from a 5 s signal with a high SNR', () => {
    const estimate = estimatePulse(skin(72, uniform(50, 100), 0.5, random(5)));
    assert.ok(estimate);
    assert.ok(Math.abs(estimate.bpm - 72) <= 4, `bpm ${estimate.bpm}`);
    assert.ok(estimate.snrDb > 6, `snr ${estimate.snrDb}`);
  });

  it('gives a low SNR without a pulse', () => {
    const estimate = estimatePulse(skin(0, uniform(50, 100), 0.5, random(9)));
    assert.ok(estimate);
    assert.ok(estimate.snrDb < 3, `snr ${estimate.snrDb}`);
  });

  it('uses the real timestamps: irregular frame intervals still give 72 bpm', () => {
    // Intervals of 50, 100 and 150 ms in turn; a reader assuming a constant rate would stretch time.
    const times: number[] = [];
    for (let t = 0, k = 0; t < 6000; k += 1) {
      times.push(t);
      t += [50, 100, 150][k % 3] as number;
    }
    const samples = skin(72, times, 0.5, random(13));
    const estimate = estimatePulse(samples);
    assert.ok(estimate && Math.abs(estimate.bpm - 72) <= 4, `bpm ${estimate?.bpm}`);
    const assumedConstant = samples.map((sample, index) => ({
      ...sample,
      timeMs: index * (6000 / samples.length) * 1.5,
    }));
    const wrong = estimatePulse(assumedConstant);
    assert.ok(wrong && Math.abs(wrong.bpm - 72) > 8, `constant-rate reading ${wrong?.bpm}`);
  });

  it('band-pass keeps 1.2 Hz and removes 0.2 Hz sway and 6 Hz flicker', () => {
    const rate = 15;
    const signal = Array.from(
      { length: 150 },
      (_, i) =>
        Math.sin((2 * Math.PI * 1.2 * i) / rate) +
        3 * Math.sin((2 * Math.PI * 0.2 * i) / rate) +
        Math.sin((2 * Math.PI * 6 * i) / rate),
    );
    const filtered = bandPass(signal, rate, 0.7, 4);
    const { freqs, power } = powerSpectrum(filtered, rate);
    const at = (hz: number) => power[freqs.findIndex((f) => f >= hz)] as number;
    assert.ok(at(1.2) > 50 * at(0.2), 'sway removed');
    assert.ok(at(1.2) > 50 * at(6), 'flicker removed');
  });

  it('needs two periods of the slowest rate', () => {
    assert.equal(estimatePulse(skin(72, uniform(20, 100), 0.5, random(2))), undefined);
  });
});

describe('challenge', () => {
  const track = (keys: [number, number][]) =>
    Array.from({ length: 50 }, (_, index) => {
      const timeMs = index * 100;
      let yaw = 0;
      for (let k = 1; k < keys.length; k += 1) {
        const [t0, y0] = keys[k - 1] as [number, number];
        const [t1, y1] = keys[k] as [number, number];
        if (timeMs >= t0 && timeMs <= t1) yaw = y0 + ((y1 - y0) * (timeMs - t0)) / (t1 - t0);
      }
      return { timeMs, yaw: yaw + 2, pitch: 4 };
    });
  const steps: ChallengeStep[] = [
    { action: 'turn_left', windowStartMs: 500, windowEndMs: 2200 },
    { action: 'turn_right', windowStartMs: 2200, windowEndMs: 3800 },
    { action: 'blink', windowStartMs: 3600, windowEndMs: 5000 },
  ];
  const blink = { startMs: 4000, endMs: 4200, atMs: 4100, depth: 0.5 };
  const leftThenRight = track([
    [0, 0],
    [700, 0],
    [1400, 30],
    [2100, 0],
    [2800, -30],
    [3500, 0],
    [5000, 0],
  ]);

  it('passes the actions performed in order, within their windows', () => {
    const neutral = neutralPose(leftThenRight);
    assert.ok(Math.abs(neutral.yaw - 2) < 0.5 && Math.abs(neutral.pitch - 4) < 0.5);
    const motions = motionEvents(leftThenRight);
    assert.deepEqual(
      motions.map((m) => m.action),
      ['turn_left', 'turn_right'],
    );
    const result = evaluateChallenge(steps, motions, [blink]);
    assert.ok(result.passed);
    assert.deepEqual(
      result.steps.map((s) => s.atMs),
      [1400, 2800, 4100],
    );
  });

  it('fails the same actions in the wrong order', () => {
    const rightThenLeft = leftThenRight.map((s) => ({ ...s, yaw: 4 - s.yaw }));
    const result = evaluateChallenge(steps, motionEvents(rightThenLeft), [blink]);
    assert.equal(result.passed, false);
    assert.equal(result.steps[0]?.performed, false);
    assert.equal(result.steps[0]?.oppositeSeen, true);
  });

  it('fails an action outside its window, a missing blink, and turning both ways in one window', () => {
    const late = track([
      [0, 0],
      [2000, 0],
      [2600, 30],
      [3000, 0],
      [5000, 0],
    ]);
    assert.equal(evaluateChallenge([steps[0] as ChallengeStep], motionEvents(late), []).passed, false);
    assert.equal(evaluateChallenge(steps, motionEvents(leftThenRight), []).passed, false);
    const both = track([
      [0, 0],
      [600, -30],
      [1000, 0],
      [1400, 30],
      [2100, 0],
      [5000, 0],
    ]);
    assert.equal(evaluateChallenge([steps[0] as ChallengeStep], motionEvents(both), []).passed, false);
  });

  it('fails a still face and an empty challenge', () => {
    const still = track([[0, 0]]);
    assert.equal(evaluateChallenge(steps, motionEvents(still), []).passed, false);
    assert.equal(evaluateChallenge([], motionEvents(leftThenRight), [blink]).passed, false);
  });
});
