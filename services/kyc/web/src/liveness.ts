import type { LivenessProbe } from './api.js';

// The probe the service validates: the mean green channel of the face region at SAMPLE_RATE_HZ
// (remote photoplethysmography: blood volume changes show in the green channel) and a head-pose
// summary. Without a landmark model in the page, pose comes from proxies: yaw/pitch from the
// horizontal/vertical brightness balance of the face region, motion from its luma centroid.
export const SAMPLE_RATE_HZ = 15;
export const SAMPLES = 120;

// The face region: the central square of a 160×120 downscale of the frame.
const WIDTH = 160;
const HEIGHT = 120;
const REGION = { x: 50, y: 30, size: 60 };

export async function sampleLiveness(
  video: HTMLVideoElement,
  onProgress: (done: number) => void,
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
  for (let frame = 0; frame < SAMPLES; frame += 1) {
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
    onProgress(frame + 1);
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

const FAILURE_TEXT: Record<string, string> = {
  NO_PULSE_SIGNAL: 'we could not measure a pulse from your face (good, even lighting helps)',
  HEAD_TURN_NOT_DETECTED: 'we did not see your head turn left and right',
  NO_NATURAL_MOTION: 'we did not see natural movement',
  FLAT_FACE: 'the face looked flat, like a photo',
  LANDMARKS_IMPOSSIBLE: 'the movement was not plausible',
  SCREEN_REPLAY_SUSPECTED: 'the camera seems to be filming a screen',
  TEXTURE_PATCH_INVALID: 'the face image could not be read',
};

export function describeFailure(codes: string[]): string {
  const reasons = codes.map((code) => FAILURE_TEXT[code] ?? code);
  return reasons.length ? reasons.join('; ') : 'the check did not pass';
}
