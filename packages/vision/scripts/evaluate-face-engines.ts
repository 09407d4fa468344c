/**
 * face-api 1.7 vs @vladmandic/human 3.3.6, both on the tfjs WASM backend, on the face fixtures
 * and on generated liveness videos. Prints the numbers recorded in the vision README.
 *
 *   npx tsx packages/vision/scripts/evaluate-face-engines.ts
 */
import fs from 'node:fs/promises';
import { loadFaceEngine } from '../src/faces/face-engine.js';
import { loadHumanEngine } from '../src/faces/human-engine.js';
import { euclideanDistance } from '../src/faces/similarity.js';
import { decodeRgb } from '../src/images/decode.js';
import { EYES_68, EYES_MESH, meanEyeAspectRatio } from '../src/liveness/blink.js';
import {
  defaultCamera,
  estimateHeadPose,
  LANDMARKS_68,
  LANDMARKS_MESH,
  type Point2,
} from '../src/liveness/head-pose.js';
import { decodeVideo, type VideoFrame } from '../src/liveness/video-decode.js';
import { FACES_DIR, generateVideo } from '../src/testkit/synthetic-video.js';

const O1 = 'obama_2012_oval_office_portrait.jpg';
const O2 = 'obama_2009_joint_session.jpg';
const O3 = 'obama_2010_blue_room.jpg';
const B1 = 'biden_2010_blue_room.jpg';
const C = 'eileen_collins_nasa.jpg';
const SAME = [
  [O1, O2],
  [O1, O3],
  [O2, O3],
] as const;
const DIFFERENT = [
  [O1, B1],
  [O2, B1],
  [O3, B1],
  [O1, C],
  [O2, C],
  [O3, C],
  [B1, C],
] as const;

const faceApi = await loadFaceEngine();
const human = await loadHumanEngine();

function normalized(vector: ArrayLike<number>): number[] {
  const values = Array.from(vector);
  const norm = Math.hypot(...values);
  return values.map((v) => v / norm);
}

const range = (values: number[]) => `${Math.min(...values).toFixed(3)}–${Math.max(...values).toFixed(3)}`;
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
};

// 1. Still images: same/different descriptor distances.
const descriptors = { faceApi: new Map<string, number[]>(), human: new Map<string, number[]>() };
const imageMs = { faceApi: [] as number[], human: [] as number[] };
for (const file of [O1, O2, O3, B1, C]) {
  const bytes = await fs.readFile(new URL(file, FACES_DIR));
  const rgb = await decodeRgb(bytes, 1280);
  let started = performance.now();
  const a = await faceApi.detect(bytes);
  imageMs.faceApi.push(performance.now() - started);
  started = performance.now();
  const b = await human.detectRgb(rgb.data, rgb.width, rgb.height, { description: true });
  imageMs.human.push(performance.now() - started);
  descriptors.faceApi.set(file, Array.from(a[0]?.descriptor ?? []));
  descriptors.human.set(file, normalized(b.sort((x, y) => y.box.width - x.box.width)[0]?.embedding ?? []));
  console.log(`${file}: faces face-api ${a.length}, human ${b.length}`);
}
for (const engine of ['faceApi', 'human'] as const) {
  const map = descriptors[engine];
  const same = SAME.map(([a, b]) => euclideanDistance(map.get(a) ?? [], map.get(b) ?? []));
  const different = DIFFERENT.map(([a, b]) => euclideanDistance(map.get(a) ?? [], map.get(b) ?? []));
  console.log(
    `${engine}: same ${range(same)}, different ${range(different)}, margin ratio ${(Math.min(...different) / Math.max(...same)).toFixed(2)}, image ms median ${median(imageMs[engine]).toFixed(0)}`,
  );
}

// 2. Videos: pose error, landmark stability, EAR on blinks, identity under pose, ms per frame.
const turn = await generateVideo({
  fixture: O1,
  yaw: [
    { timeMs: 0, yaw: 0 },
    { timeMs: 500, yaw: 0 },
    { timeMs: 1500, yaw: 30 },
    { timeMs: 2500, yaw: 0 },
    { timeMs: 3500, yaw: -30 },
    { timeMs: 4500, yaw: 0 },
  ],
  blinks: [600, 2600, 4600],
  pulseBpm: 72,
});
const still = await generateVideo({ fixture: O1, durationMs: 3000 });
const turnFrames = (await decodeVideo(turn.path, { sampleRate: 15 })).frames;
const stillFrames = (await decodeVideo(still.path, { sampleRate: 15 })).frames;
const truthAt = (timeMs: number) =>
  turn.truth.reduce((best, t) => (Math.abs(t.timeMs - timeMs) < Math.abs(best.timeMs - timeMs) ? t : best));

interface FrameResult {
  landmarks?: Point2[];
  ms: number;
  faces: number;
}

type Runner = (frame: VideoFrame) => Promise<FrameResult>;
const runners: Record<
  string,
  { run: Runner; indices: typeof LANDMARKS_68; eyes: readonly (readonly number[])[] }
> = {
  'face-api ssd': {
    indices: LANDMARKS_68,
    eyes: EYES_68,
    run: async (frame) => {
      const started = performance.now();
      const faces = await faceApi.detectFrame(frame, { detector: 'ssd' });
      return { ms: performance.now() - started, faces: faces.length, landmarks: faces[0]?.landmarks };
    },
  },
  'face-api tiny': {
    indices: LANDMARKS_68,
    eyes: EYES_68,
    run: async (frame) => {
      const started = performance.now();
      const faces = await faceApi.detectFrame(frame, { detector: 'tiny', tinyInputSize: 320 });
      return { ms: performance.now() - started, faces: faces.length, landmarks: faces[0]?.landmarks };
    },
  },
  human: {
    indices: LANDMARKS_MESH,
    eyes: EYES_MESH,
    run: async (frame) => {
      const started = performance.now();
      const faces = await human.detectRgb(frame.data, frame.width, frame.height, { description: false });
      const mesh = faces[0]?.mesh.map(([x, y]) => ({ x, y }));
      return { ms: performance.now() - started, faces: faces.length, landmarks: mesh };
    },
  },
};

for (const [name, runner] of Object.entries(runners)) {
  await runner.run(turnFrames[0] as VideoFrame);
  const poseErrors: number[] = [];
  const frameMs: number[] = [];
  const earOpen: number[] = [];
  const earClosed: number[] = [];
  let missed = 0;
  for (const frame of turnFrames) {
    const result = await runner.run(frame);
    frameMs.push(result.ms);
    if (!result.landmarks) {
      missed += 1;
      continue;
    }
    const truth = truthAt(frame.timeMs);
    const pose = estimateHeadPose(result.landmarks, runner.indices, defaultCamera(frame.width, frame.height));
    poseErrors.push(Math.abs(pose.yaw - truth.yaw));
    const ear = meanEyeAspectRatio(result.landmarks, runner.eyes);
    if (truth.eyeClosure > 0.9) earClosed.push(ear);
    else if (truth.eyeClosure === 0 && Math.abs(truth.yaw) < 5) earOpen.push(ear);
  }
  // Stability: per-landmark standard deviation over a still video, relative to the eye distance.
  const tracks: Point2[][] = [];
  for (const frame of stillFrames) {
    const result = await runner.run(frame);
    if (result.landmarks) tracks.push(result.landmarks);
  }
  const eyeDistance = Math.hypot(
    ((tracks[0] as Point2[])[runner.indices.outerEyeRight] as Point2).x -
      ((tracks[0] as Point2[])[runner.indices.outerEyeLeft] as Point2).x,
    ((tracks[0] as Point2[])[runner.indices.outerEyeRight] as Point2).y -
      ((tracks[0] as Point2[])[runner.indices.outerEyeLeft] as Point2).y,
  );
  const jitter: number[] = [];
  for (let point = 0; point < (tracks[0] as Point2[]).length; point += 1) {
    const xs = tracks.map((t) => (t[point] as Point2).x);
    const ys = tracks.map((t) => (t[point] as Point2).y);
    const sd = (v: number[]) => {
      const m = v.reduce((s, x) => s + x, 0) / v.length;
      return Math.sqrt(v.reduce((s, x) => s + (x - m) ** 2, 0) / v.length);
    };
    jitter.push(Math.hypot(sd(xs), sd(ys)) / eyeDistance);
  }
  const meanEar = (v: number[]) => v.reduce((s, x) => s + x, 0) / Math.max(1, v.length);
  console.log(
    `${name}: yaw MAE ${(poseErrors.reduce((s, v) => s + v, 0) / poseErrors.length).toFixed(1)}° (max ${Math.max(...poseErrors).toFixed(1)}°, ${missed} frames without a face of ${turnFrames.length}); ` +
      `jitter ${(100 * (jitter.reduce((s, v) => s + v, 0) / jitter.length)).toFixed(2)} % of eye distance; ` +
      `EAR open ${meanEar(earOpen).toFixed(3)} (${earOpen.length}) closed ${meanEar(earClosed).toFixed(3)} (${earClosed.length}); ` +
      `ms/frame median ${median(frameMs).toFixed(0)}`,
  );
}

// 3. Identity under pose: descriptor of turned frames vs the frontal frame, and vs the fixtures.
const frontal = turnFrames[0] as VideoFrame;
const turned = turnFrames.reduce((best, frame) =>
  Math.abs(truthAt(frame.timeMs).yaw) > Math.abs(truthAt(best.timeMs).yaw) ? frame : best,
);
const descriptorMs = { faceApi: [] as number[], human: [] as number[] };
const faceApiDescriptor = async (frame: VideoFrame) => {
  const started = performance.now();
  const faces = await faceApi.detectFrame(frame, { descriptors: true });
  descriptorMs.faceApi.push(performance.now() - started);
  return Array.from(faces[0]?.descriptor ?? []);
};
const humanDescriptor = async (frame: VideoFrame) => {
  const started = performance.now();
  const faces = await human.detectRgb(frame.data, frame.width, frame.height, {
    description: true,
    antispoof: true,
  });
  descriptorMs.human.push(performance.now() - started);
  return {
    embedding: normalized(faces[0]?.embedding ?? []),
    real: faces[0]?.real,
    live: faces[0]?.live,
  };
};
const fa = [await faceApiDescriptor(frontal), await faceApiDescriptor(turned)];
const hu = [await humanDescriptor(frontal), await humanDescriptor(turned)];
console.log(
  `identity under ${truthAt(turned.timeMs).yaw.toFixed(0)}° yaw: face-api ${euclideanDistance(fa[0] as number[], fa[1] as number[]).toFixed(3)} ` +
    `(frontal vs O2 ${euclideanDistance(fa[0] as number[], descriptors.faceApi.get(O2) ?? []).toFixed(3)}, vs B1 ${euclideanDistance(fa[0] as number[], descriptors.faceApi.get(B1) ?? []).toFixed(3)}); ` +
    `human ${euclideanDistance(hu[0]?.embedding ?? [], hu[1]?.embedding ?? []).toFixed(3)} ` +
    `(vs O2 ${euclideanDistance(hu[0]?.embedding ?? [], descriptors.human.get(O2) ?? []).toFixed(3)}, vs B1 ${euclideanDistance(hu[0]?.embedding ?? [], descriptors.human.get(B1) ?? []).toFixed(3)}); ` +
    `descriptor frame ms face-api ${median(descriptorMs.faceApi).toFixed(0)}, human (+antispoof/liveness) ${median(descriptorMs.human).toFixed(0)}`,
);
console.log(
  `human passive scores on a generated frame: antispoof ${hu[0]?.real?.toFixed(2)}, liveness ${hu[0]?.live?.toFixed(2)}`,
);
await fs.rm(turn.path, { force: true });
await fs.rm(still.path, { force: true });
