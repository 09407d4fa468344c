import { type MessageKey, t } from './i18n.js';
import type { ChallengeAction, LivenessChallenge, LivenessProbe } from './api.js';

// The liveness check is decided by the service from the recording this page makes while the
// user follows the challenge's prompts. The seed's complete request also carries a probe: the
// mean green channel of the face region at SAMPLE_RATE_HZ and a head-pose summary from
// brightness proxies. The service keeps it as a signal only; it never decides.
export const SAMPLE_RATE_HZ = 15;

// The face region: the central square of a 160×120 downscale of the frame.
const WIDTH = 160;
const HEIGHT = 120;
const REGION = { x: 50, y: 30, size: 60 };

/** Probe samples for a recording of `durationMs` (the seed accepts 30–200). */
export function probeSamples(durationMs: number): number {
  return Math.max(30, Math.min(200, Math.floor((durationMs / 1000) * SAMPLE_RATE_HZ)));
}

export async function sampleLiveness(
  video: HTMLVideoElement,
  samples: number,
): Promise<Omit<LivenessProbe, 'requestId' | 'challengeType'>> {
  const canvas = document.createElement('canvas');
  canvas.width = WIDTH;
  canvas.height = HEIGHT;
  const context = canvas.getContext('2d', { willReadFrequently: true });
  if (!context) throw new Error('This browser cannot read the camera image.');
  const green: number[] = [];
  const yaw: number[] = [];
  const pitch: number[] = [];
  const centers: number[] = [];
  const depth: number[] = [];
  const period = 1000 / SAMPLE_RATE_HZ;
  const start = performance.now();
  for (let frame = 0; frame < samples; frame += 1) {
    context.drawImage(video, 0, 0, WIDTH, HEIGHT);
    const { data } = context.getImageData(REGION.x, REGION.y, REGION.size, REGION.size);
    const half = REGION.size / 2;
    let g = 0;
    let left = 0;
    let right = 0;
    let top = 0;
    let bottom = 0;
    let cx = 0;
    let total = 0;
    for (let i = 0; i < data.length; i += 4) {
      const p = i / 4;
      const x = p % REGION.size;
      const y = Math.floor(p / REGION.size);
      const r = data[i] ?? 0;
      const gr = data[i + 1] ?? 0;
      const b = data[i + 2] ?? 0;
      const luma = 0.299 * r + 0.587 * gr + 0.114 * b;
      g += gr;
      if (x < half) left += luma;
      else right += luma;
      if (y < half) top += luma;
      else bottom += luma;
      cx += x * luma;
      total += luma;
    }
    const pixels = data.length / 4;
    green.push(round(g / pixels));
    const balance = (right - left) / Math.max(1, right + left);
    yaw.push(balance * 90);
    pitch.push(((bottom - top) / Math.max(1, bottom + top)) * 90);
    centers.push(cx / Math.max(1, total) / REGION.size);
    depth.push(Math.abs(balance));
    // Keep the sampling grid on schedule (timers drift; the validator assumes SAMPLE_RATE_HZ).
    const next = start + (frame + 1) * period;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - performance.now())));
  }
  return {
    greenChannelMean: green,
    landmarksSummary: {
      yawMin: round(Math.min(...yaw)),
      yawMax: round(Math.max(...yaw)),
      pitchMin: round(Math.min(...pitch)),
      pitchMax: round(Math.max(...pitch)),
      faceMotionVariance: variance(centers),
      depthVarianceProxy: variance(depth),
    },
  };
}

function variance(values: number[]): number {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length;
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/** The container types MediaRecorder is asked for, best first (Safari records only MP4). */
const RECORDING_TYPES = [
  'video/webm;codecs=vp8',
  'video/webm;codecs=vp9',
  'video/webm',
  'video/mp4;codecs=avc1',
  'video/mp4',
];

export function recordingType(): string {
  if (typeof MediaRecorder === 'undefined') throw new Error('This browser cannot record video.');
  const type = RECORDING_TYPES.find((candidate) => MediaRecorder.isTypeSupported(candidate));
  if (!type) throw new Error('This browser cannot record video in a format we accept.');
  return type;
}

/**
 * Records `stream` for `durationMs` from the moment the recorder has started (`onStart` then
 * runs: the challenge's windows count from there), resolving with the whole recording.
 */
export async function record(stream: MediaStream, durationMs: number, onStart: () => void): Promise<Blob> {
  const recorder = new MediaRecorder(stream, { mimeType: recordingType(), videoBitsPerSecond: 2_500_000 });
  const chunks: Blob[] = [];
  recorder.addEventListener('dataavailable', (event) => {
    if (event.data.size > 0) chunks.push(event.data);
  });
  const stopped = new Promise<void>((resolve, reject) => {
    recorder.addEventListener('stop', () => resolve(), { once: true });
    recorder.addEventListener('error', () => reject(new Error('The recording failed, please try again.')), {
      once: true,
    });
  });
  const started = new Promise<void>((resolve) =>
    recorder.addEventListener('start', () => resolve(), { once: true }),
  );
  recorder.start();
  await started;
  onStart();
  await new Promise((resolve) => setTimeout(resolve, durationMs));
  recorder.stop();
  await stopped;
  // The type the recorder actually produced (with its codecs), which presign-video binds.
  return new Blob(chunks, { type: recorder.mimeType || recordingType() });
}

export function actionText(action: ChallengeAction): string {
  return t(`liveness.${action}`);
}

/**
 * Shows each step's prompt when its window opens (ms after `startedAt`, the recorder's start),
 * "Look at the camera" before the first and after the last (`index` -1); `onTick` gets the elapsed time.
 */
export function runPrompts(
  challenge: LivenessChallenge,
  startedAt: number,
  show: (text: string, index: number) => void,
  onTick: (elapsedMs: number) => void,
): () => void {
  const timers: ReturnType<typeof setTimeout>[] = [];
  const at = (ms: number, action: () => void) =>
    timers.push(setTimeout(action, Math.max(0, ms - (performance.now() - startedAt))));
  show(t('liveness.look'), -1);
  const total = challenge.steps.length;
  challenge.steps.forEach((step, index) => {
    at(step.windowStartMs, () =>
      show(t('liveness.step', { n: index + 1, total, action: actionText(step.action) }), index),
    );
  });
  const first = challenge.steps[0];
  const last = challenge.steps.at(-1);
  if (first && last) {
    // The last prompt stays up for a typical slot, then the user settles back to neutral.
    const slot =
      challenge.steps.length > 1
        ? (last.windowStartMs - first.windowStartMs) / (challenge.steps.length - 1)
        : last.windowEndMs - last.windowStartMs;
    at(last.windowStartMs + slot, () => show(t('liveness.look'), -1));
  }
  const ticker = setInterval(() => onTick(performance.now() - startedAt), 100);
  return () => {
    for (const timer of timers) clearTimeout(timer);
    clearInterval(ticker);
  };
}

const FAILURES = new Set([
  'VIDEO_MISSING',
  'VIDEO_UNREADABLE',
  'VIDEO_TOO_LARGE',
  'VIDEO_CORRUPT',
  'VIDEO_TOO_SHORT',
  'FACE_NOT_FOUND',
  'MULTIPLE_FACES',
  'IDENTITY_CHANGED',
  'CHALLENGE_NOT_PERFORMED',
  'PULSE_NOT_DETECTED',
  'SCREEN_REPLAY_SUSPECTED',
  'DOCUMENT_FACE_NOT_FOUND',
  'FACE_MISMATCH',
  'VIDEO_INTEGRITY_FAILED',
  'ANALYSIS_UNAVAILABLE',
]);

/** The server's failure codes in plain words (an unknown code reads "the check did not pass"). */
export function describeFailure(codes: string[]): string {
  const reasons = [
    ...new Set(
      codes.map((code) => t(FAILURES.has(code) ? (`failure.${code}` as MessageKey) : 'failure.other')),
    ),
  ];
  return reasons.length ? reasons.join('; ') : t('failure.other');
}

export type FaceFeedback = 'ok' | 'dark' | 'bright' | 'flat';

/**
 * Live feedback on what the camera sees inside the face oval, about 3 times a second: too dark,
 * too bright, or too flat to hold a face (low contrast: nothing close to the camera). It judges
 * the light, not the face itself: the server's analysis decides whether a face is there.
 */
export function watchOval(video: HTMLVideoElement, onChange: (feedback: FaceFeedback) => void): () => void {
  const canvas = document.createElement('canvas');
  canvas.width = 48;
  canvas.height = 64;
  const context = canvas.getContext('2d', { willReadFrequently: true });
  let last: FaceFeedback | undefined;
  const timer = setInterval(() => {
    if (!context || !video.videoWidth) return;
    // The oval: the centre 40 % × 70 % of the frame.
    const w = video.videoWidth * 0.4;
    const h = video.videoHeight * 0.7;
    context.drawImage(video, (video.videoWidth - w) / 2, (video.videoHeight - h) / 2, w, h, 0, 0, 48, 64);
    const { data } = context.getImageData(0, 0, 48, 64);
    let sum = 0;
    let squares = 0;
    const pixels = data.length / 4;
    for (let i = 0; i < data.length; i += 4) {
      const luma = 0.299 * (data[i] ?? 0) + 0.587 * (data[i + 1] ?? 0) + 0.114 * (data[i + 2] ?? 0);
      sum += luma;
      squares += luma * luma;
    }
    const mean = sum / pixels;
    const deviation = Math.sqrt(Math.max(0, squares / pixels - mean * mean));
    const feedback: FaceFeedback = mean < 45 ? 'dark' : mean > 220 ? 'bright' : deviation < 8 ? 'flat' : 'ok';
    if (feedback !== last) {
      last = feedback;
      onChange(feedback);
    }
  }, 300);
  return () => clearInterval(timer);
}
