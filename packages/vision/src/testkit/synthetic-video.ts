/**
 * Test videos generated from the public-domain face fixtures, encoded with the npm-installed
 * ffmpeg: head turns (a depth-map yaw warp of the face), blinks (eyelids painted over the eyes
 * from the landmarks), a skin-tone pulse, a screen (moiré) overlay, a second face, irregular
 * frame timing. Each frame's ground truth (yaw, eye closure) is returned with the file.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { loadFaceEngine, type Point } from '../faces/face-engine.js';
import { MAX_IMAGE_PIXELS } from '../images/decode.js';
import { ffmpegPath } from '../liveness/ffmpeg.js';

export const FACES_DIR = new URL('../../../../../shared/fixtures/faces/', import.meta.url);

export interface BaseFrame {
  data: Uint8Array;
  width: number;
  height: number;
  /** 68 landmarks of the (first) face in the base frame. */
  landmarks: Point[];
}

export interface YawKeyframe {
  timeMs: number;
  yaw: number;
}

export interface SyntheticVideoSpec {
  /** Fixture file name under shared/fixtures/faces. */
  fixture: string;
  width?: number;
  height?: number;
  fps?: number;
  durationMs?: number;
  /** Head yaw (degrees, + = the subject turns to their own left = towards image right), linear between keyframes. */
  yaw?: YawKeyframe[];
  /** Start times (ms) of blinks of `blinkMs` each. */
  blinks?: number[];
  blinkMs?: number;
  /** Skin-tone pulse in beats per minute (0 or absent: none). */
  pulseBpm?: number;
  /** Peak green modulation in 8-bit levels. Default 2. */
  pulseAmplitude?: number;
  /** Photographed-screen pattern over the whole frame. */
  moire?: boolean;
  /** A second person's fixture pasted beside the face. */
  secondFace?: string;
  /** Per-pixel camera noise (standard deviation, 8-bit levels). Default 2. */
  noise?: number;
  /** `y4m`: raw YUV 4:2:0 frames (what Chromium's `--use-file-for-fake-video-capture` plays). */
  container?: 'webm' | 'mp4' | 'y4m';
  /** Drop frames so that intervals vary (a variable-rate recording), keeping container timestamps. */
  irregularTiming?: boolean;
  /** Where to write; default a temp file. */
  outPath?: string;
}

export interface SyntheticVideo {
  path: string;
  bytes: number;
  /** Ground truth of each generated frame. */
  truth: { timeMs: number; yaw: number; eyeClosure: number }[];
}

const baseCache = new Map<string, Promise<BaseFrame>>();

/**
 * The fixture cropped around its (largest) face to the frame's aspect ratio, the face about
 * 40 % of the frame width, with its 68 landmarks.
 */
export function baseFrame(fixture: string, width = 640, height = 480): Promise<BaseFrame> {
  const key = `${fixture}:${width}x${height}`;
  let cached = baseCache.get(key);
  if (!cached) {
    cached = buildBaseFrame(fixture, width, height);
    baseCache.set(key, cached);
  }
  return cached;
}

async function buildBaseFrame(fixture: string, width: number, height: number): Promise<BaseFrame> {
  const source = await fs.readFile(new URL(fixture, FACES_DIR));
  const engine = await loadFaceEngine();
  const faces = await engine.detect(source);
  const face = faces.reduce((a, b) => (a.box.width * a.box.height >= b.box.width * b.box.height ? a : b));
  const meta = await sharp(source, { limitInputPixels: MAX_IMAGE_PIXELS }).rotate().metadata();
  const sourceWidth = meta.autoOrient?.width ?? meta.width ?? 0;
  const sourceHeight = meta.autoOrient?.height ?? meta.height ?? 0;
  const cropWidth = Math.min(sourceWidth, Math.round(face.box.width / 0.4));
  const cropHeight = Math.min(sourceHeight, Math.round((cropWidth * height) / width));
  const centreX = face.box.x + face.box.width / 2;
  const centreY = face.box.y + face.box.height / 2;
  const left = Math.max(0, Math.min(sourceWidth - cropWidth, Math.round(centreX - cropWidth / 2)));
  const top = Math.max(0, Math.min(sourceHeight - cropHeight, Math.round(centreY - cropHeight / 2)));
  const { data, info } = await sharp(source, { limitInputPixels: MAX_IMAGE_PIXELS })
    .rotate()
    .extract({ left, top, width: cropWidth, height: cropHeight })
    .resize(width, height, { fit: 'fill' })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const frame = { data: new Uint8Array(data), width: info.width, height: info.height };
  const detected = await engine.detectFrame(frame, { minConfidence: 0.3 });
  const main = detected.reduce((a, b) => (a.box.width >= b.box.width ? a : b));
  return { ...frame, landmarks: main.landmarks };
}

function interpolateYaw(keys: YawKeyframe[] | undefined, timeMs: number): number {
  if (!keys || keys.length === 0) return 0;
  if (timeMs <= (keys[0] as YawKeyframe).timeMs) return (keys[0] as YawKeyframe).yaw;
  for (let index = 1; index < keys.length; index += 1) {
    const a = keys[index - 1] as YawKeyframe;
    const b = keys[index] as YawKeyframe;
    if (timeMs <= b.timeMs)
      return a.yaw + ((b.yaw - a.yaw) * (timeMs - a.timeMs)) / Math.max(1, b.timeMs - a.timeMs);
  }
  return (keys.at(-1) as YawKeyframe).yaw;
}

function eyeClosure(blinks: number[] | undefined, blinkMs: number, timeMs: number): number {
  for (const start of blinks ?? []) {
    const phase = (timeMs - start) / blinkMs;
    if (phase >= 0 && phase <= 1) return Math.min(1, Math.sin(Math.PI * phase) * 1.6);
  }
  return 0;
}

interface FaceGeometry {
  centreX: number;
  centreY: number;
  radiusX: number;
  radiusY: number;
  /** Depth (pixels) of every pixel of the frame: ellipsoid head + nose ridge. */
  depth: Float32Array;
  /** Skin pixels (face ellipse without eyes and mouth) and their weights 0–1. */
  skinPixels: Uint32Array;
  skinWeights: Float32Array;
  /** How much of the rotation each pixel follows: 1 inside the face, fading to 0 around it. */
  follow: Float32Array;
}

function mean(points: Point[]): Point {
  return {
    x: points.reduce((sum, point) => sum + point.x, 0) / points.length,
    y: points.reduce((sum, point) => sum + point.y, 0) / points.length,
  };
}

function faceGeometry(base: BaseFrame): FaceGeometry {
  const l = base.landmarks;
  const at = (index: number) => l[index] as Point;
  const jawLeft = at(0);
  const jawRight = at(16);
  const chin = at(8);
  const brows = mean(l.slice(17, 27));
  const radiusX = ((jawRight.x - jawLeft.x) / 2) * 1.05;
  const centreX = (jawLeft.x + jawRight.x) / 2;
  const top = brows.y - (chin.y - brows.y) * 0.55;
  const centreY = (top + chin.y) / 2;
  const radiusY = (chin.y - top) / 2;
  const { width, height } = base;
  const depth = new Float32Array(width * height);
  const skin = new Float32Array(width * height);
  const follow = new Float32Array(width * height);
  const noseTop = at(27);
  const noseTip = at(30);
  const eyes = [l.slice(36, 42), l.slice(42, 48)].map((eye) => ({ centre: mean(eye), eye }));
  const mouth = mean(l.slice(48, 60));
  const mouthHalf = (at(54).x - at(48).x) / 2;
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const nx = (x - centreX) / radiusX;
      const ny = (y - centreY) / radiusY;
      const r2 = nx * nx + ny * ny;
      const r = Math.sqrt(r2);
      // Full rotation inside the face, fading to none at 1.5 × its radius.
      follow[y * width + x] = r <= 1 ? 1 : Math.max(0, 1 - (r - 1) / 0.5) ** 2;
      if (r2 >= 1) continue;
      // Ellipsoid head: depth ≈ 0.9 × half-width at the centre.
      let z = radiusX * 0.9 * Math.sqrt(1 - r2);
      // Nose: a ridge from the bridge to the tip, growing towards the tip.
      if (y > noseTop.y && y < noseTip.y + radiusX * 0.15) {
        const along = Math.min(1, (y - noseTop.y) / Math.max(1, noseTip.y - noseTop.y));
        const ridgeX = noseTop.x + (noseTip.x - noseTop.x) * along;
        const sigma = radiusX * (0.08 + 0.08 * along);
        const fade = y > noseTip.y ? 1 - (y - noseTip.y) / (radiusX * 0.15) : 1;
        z += radiusX * 0.4 * along * fade * Math.exp(-((x - ridgeX) ** 2) / (2 * sigma * sigma));
      }
      depth[y * width + x] = z;
      let weight = Math.min(1, (1 - r2) * 4);
      for (const { centre } of eyes)
        if (Math.hypot((x - centre.x) / (radiusX * 0.3), (y - centre.y) / (radiusX * 0.2)) < 1) weight = 0;
      if (Math.hypot((x - mouth.x) / (mouthHalf * 1.3), (y - mouth.y) / (mouthHalf * 0.7)) < 1) weight = 0;
      skin[y * width + x] = weight;
    }
  }
  const skinPixels: number[] = [];
  for (let pixel = 0; pixel < skin.length; pixel += 1)
    if ((skin[pixel] as number) > 0) skinPixels.push(pixel);
  return {
    centreX,
    centreY,
    radiusX,
    radiusY,
    depth,
    follow,
    skinPixels: Uint32Array.from(skinPixels),
    skinWeights: Float32Array.from(skinPixels, (pixel) => skin[pixel] as number),
  };
}

/** Paints closed eyelids (closure 0–1) over both eyes of an RGB frame, in place. */
function paintEyelids(frame: Uint8ClampedArray, width: number, landmarks: Point[], closure: number): void {
  if (closure <= 0) return;
  for (const eye of [landmarks.slice(36, 42), landmarks.slice(42, 48)]) {
    const centre = mean(eye);
    const halfWidth = ((eye[3] as Point).x - (eye[0] as Point).x) / 2;
    const halfHeight = Math.max(halfWidth * 0.55, 4);
    // Lid skin sampled below the eye: above it lie brows and creases, too dark for a lid (the
    // face mesh then still reads the eye as half open).
    const lidSample = { x: centre.x, y: centre.y + halfHeight * 2.2 };
    const lid = [0, 0, 0];
    let count = 0;
    for (let dy = -2; dy <= 2; dy += 1)
      for (let dx = -Math.round(halfWidth / 2); dx <= Math.round(halfWidth / 2); dx += 1) {
        const offset = (Math.round(lidSample.y + dy) * width + Math.round(lidSample.x + dx)) * 3;
        for (let c = 0; c < 3; c += 1) lid[c] = (lid[c] as number) + (frame[offset + c] as number);
        count += 1;
      }
    for (let c = 0; c < 3; c += 1) lid[c] = (lid[c] as number) / count;
    const rx = halfWidth * 1.25;
    const ry = halfHeight * 1.3;
    for (let y = Math.floor(centre.y - ry); y <= Math.ceil(centre.y + ry); y += 1) {
      for (let x = Math.floor(centre.x - rx); x <= Math.ceil(centre.x + rx); x += 1) {
        const d = Math.hypot((x - centre.x) / rx, (y - centre.y) / ry);
        if (d >= 1) continue;
        const edge = Math.min(1, (1 - d) * 4) * closure;
        // Closed lids meet in a dark, slightly sagging lash line through the eye's middle,
        // thinning towards the corners; the lid above it is lightly shaded.
        const u = (x - centre.x) / rx;
        const lashY = centre.y + halfHeight * 0.15 + halfHeight * 0.35 * (1 - u * u);
        const thickness = Math.max(1, halfHeight * 0.2) * (1 - 0.6 * Math.abs(u));
        const shade =
          Math.abs(y - lashY) < thickness ? 0.3 : y < lashY ? 0.92 + 0.08 * ((lashY - y) / (2 * ry)) : 0.97;
        const offset = (y * width + x) * 3;
        for (let c = 0; c < 3; c += 1)
          frame[offset + c] = (frame[offset + c] as number) * (1 - edge) + (lid[c] as number) * shade * edge;
      }
    }
  }
}

/**
 * Rotates the face about the vertical axis by `yaw` degrees: every pixel of the face ellipse
 * moves to x' = cx + (x − cx)·cos θ + z·sin θ (orthographic), drawn front-most first, so the
 * nose moves more than the cheeks and the far cheek is compressed and partly hidden. Outside
 * the face the frame is unchanged; a band around it blends the displacement to zero.
 */
function warpYaw(
  source: Uint8ClampedArray,
  width: number,
  height: number,
  geometry: FaceGeometry,
  yaw: number,
): Uint8ClampedArray {
  if (Math.abs(yaw) < 0.01) return source.slice();
  const theta = (yaw * Math.PI) / 180;
  const cos = Math.cos(theta);
  const sin = Math.sin(theta);
  const out = source.slice();
  const mapped = new Float32Array(width);
  const front = new Float32Array(width);
  const sourceX = new Float32Array(width);
  const { centreX, centreY, radiusY, depth, follow } = geometry;
  for (let y = 0; y < height; y += 1) {
    if (Math.abs(y - centreY) >= radiusY * 1.5) continue;
    for (let x = 0; x < width; x += 1) {
      const z = depth[y * width + x] as number;
      const rotated = centreX + (x - centreX) * cos + z * sin;
      mapped[x] = x + (rotated - x) * (follow[y * width + x] as number);
    }
    front.fill(-Infinity);
    sourceX.fill(-1);
    for (let x = 0; x < width - 1; x += 1) {
      const a = mapped[x] as number;
      const b = mapped[x + 1] as number;
      const lo = Math.ceil(Math.min(a, b));
      const hi = Math.floor(Math.max(a, b));
      const za = -(x - centreX) * sin + (depth[y * width + x] as number) * cos;
      for (let target = Math.max(0, lo); target <= Math.min(width - 1, hi); target += 1) {
        const t = b === a ? 0 : (target - a) / (b - a);
        if (za > (front[target] as number)) {
          front[target] = za;
          sourceX[target] = x + t;
        }
      }
    }
    for (let x = 0; x < width; x += 1) {
      const sx = sourceX[x] as number;
      if (sx < 0) continue;
      const x0 = Math.floor(sx);
      const fx = sx - x0;
      const x1 = Math.min(width - 1, x0 + 1);
      const o = (y * width + x) * 3;
      const o0 = (y * width + x0) * 3;
      const o1 = (y * width + x1) * 3;
      for (let c = 0; c < 3; c += 1)
        out[o + c] = (source[o0 + c] as number) * (1 - fx) + (source[o1 + c] as number) * fx;
    }
  }
  return out;
}

async function pasteSecondFace(frame: BaseFrame, fixture: string): Promise<BaseFrame> {
  const other = await baseFrame(fixture, Math.round(frame.width * 0.45), Math.round(frame.height * 0.45));
  const data = frame.data.slice();
  const left = frame.width - other.width - 8;
  const top = Math.round(frame.height * 0.08);
  for (let y = 0; y < other.height; y += 1)
    for (let x = 0; x < other.width; x += 1)
      for (let c = 0; c < 3; c += 1)
        data[((top + y) * frame.width + left + x) * 3 + c] = other.data[
          (y * other.width + x) * 3 + c
        ] as number;
  return { ...frame, data };
}

/** Generates and encodes a synthetic liveness video; returns its path and per-frame truth. */
export async function generateVideo(spec: SyntheticVideoSpec): Promise<SyntheticVideo> {
  const width = spec.width ?? 640;
  const height = spec.height ?? 480;
  const fps = spec.fps ?? 30;
  const durationMs = spec.durationMs ?? 5000;
  const container = spec.container ?? 'webm';
  let base = await baseFrame(spec.fixture, width, height);
  const geometry = faceGeometry(base);
  if (spec.secondFace) base = await pasteSecondFace(base, spec.secondFace);
  const outPath =
    spec.outPath ??
    path.join(os.tmpdir(), `liveness-${process.pid}-${Math.random().toString(36).slice(2)}.${container}`);
  const encoder =
    container === 'webm'
      ? ['-c:v', 'libvpx', '-b:v', '2M', '-crf', '8', '-deadline', 'realtime', '-cpu-used', '8']
      : container === 'mp4'
        ? ['-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '16', '-pix_fmt', 'yuv420p']
        : ['-f', 'yuv4mpegpipe', '-pix_fmt', 'yuv420p'];
  const timing = spec.irregularTiming
    ? ['-vf', "select='not(eq(mod(n\\,5)\\,1))*not(eq(mod(n\\,7)\\,3))'", '-vsync', 'vfr']
    : [];
  const ffmpeg = spawn(
    ffmpegPath(),
    [
      '-hide_banner',
      '-loglevel',
      'error',
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      '-s',
      `${width}x${height}`,
      '-r',
      String(fps),
      '-i',
      'pipe:0',
      ...timing,
      ...encoder,
      '-an',
      '-y',
      outPath,
    ],
    { stdio: ['pipe', 'ignore', 'pipe'] },
  );
  let stderr = '';
  ffmpeg.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const closed = new Promise<number | null>((resolve, reject) => {
    ffmpeg.on('error', reject);
    ffmpeg.on('close', resolve);
  });
  // Camera noise: a fixed table read at a random offset per frame (cheap, still uncorrelated between frames).
  const noiseSigma = spec.noise ?? 2;
  const noise = new Int8Array(width * height * 3 + 65_536);
  for (let index = 0; index < noise.length; index += 1) {
    const u = Math.max(1e-9, Math.random());
    noise[index] = Math.round(
      noiseSigma * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * Math.random()),
    );
  }
  // A screen's pixel grid beating with the camera's sensor: a fine tilted grating, plus raised blacks.
  const screen = spec.moire ? new Float32Array(width * height) : undefined;
  if (screen)
    for (let y = 0; y < height; y += 1)
      for (let x = 0; x < width; x += 1)
        screen[y * width + x] =
          0.78 + 0.22 * (0.5 + 0.5 * Math.cos((2 * Math.PI * (x * 0.97 + y * 0.24)) / 4.2));
  const base8 = new Uint8ClampedArray(base.data);
  const truth: SyntheticVideo['truth'] = [];
  const frameCount = Math.round((durationMs / 1000) * fps);
  const amplitude = spec.pulseAmplitude ?? 2;
  const blinkMs = spec.blinkMs ?? 200;
  const { skinPixels, skinWeights } = geometry;
  for (let index = 0; index < frameCount; index += 1) {
    const timeMs = (index * 1000) / fps;
    const yaw = interpolateYaw(spec.yaw, timeMs);
    const closure = eyeClosure(spec.blinks, blinkMs, timeMs);
    truth.push({ timeMs, yaw, eyeClosure: closure });
    const frame = base8.slice();
    if (spec.pulseBpm) {
      // Blood volume: skin gets slightly darker in green (and less in red/blue) at each beat.
      const dg = -amplitude * Math.sin((2 * Math.PI * spec.pulseBpm * timeMs) / 60_000);
      for (let k = 0; k < skinPixels.length; k += 1) {
        const offset = (skinPixels[k] as number) * 3;
        const delta = dg * (skinWeights[k] as number);
        frame[offset] = (frame[offset] as number) + delta * 0.5;
        frame[offset + 1] = (frame[offset + 1] as number) + delta;
        frame[offset + 2] = (frame[offset + 2] as number) + delta * 0.3;
      }
    }
    paintEyelids(frame, width, base.landmarks, closure);
    const warped = warpYaw(frame, width, height, geometry, yaw);
    const offset = Math.floor(Math.random() * 65_536);
    if (screen) {
      for (let pixel = 0; pixel < width * height; pixel += 1) {
        const gain = screen[pixel] as number;
        for (let c = 0; c < 3; c += 1) {
          const at = pixel * 3 + c;
          warped[at] = ((warped[at] as number) + (noise[offset + at] as number)) * gain + 18;
        }
      }
    } else {
      for (let at = 0; at < warped.length; at += 1)
        warped[at] = (warped[at] as number) + (noise[offset + at] as number);
    }
    const bytes = new Uint8Array(warped.buffer, warped.byteOffset, warped.length);
    if (!ffmpeg.stdin.write(bytes)) await new Promise((resolve) => ffmpeg.stdin.once('drain', resolve));
  }
  ffmpeg.stdin.end();
  const code = await closed;
  if (code !== 0) throw new Error(`ffmpeg failed to encode the test video: ${stderr.slice(0, 500)}`);
  const { size } = await fs.stat(outPath);
  return { path: outPath, bytes: size, truth };
}

/** The first `fraction` of a file's bytes: a recording cut off mid-upload. */
export async function truncateFile(source: string, fraction: number): Promise<string> {
  const bytes = await fs.readFile(source);
  const out = `${source}.truncated${path.extname(source)}`;
  await fs.writeFile(out, bytes.subarray(0, Math.floor(bytes.length * fraction)));
  return out;
}

/**
 * A copy with random bytes written over part of it: `middle` damages 2 % of the file from 30 %
 * in (the container's framing breaks mid-stream), `header` its first 64 bytes (unreadable).
 */
export async function corruptFile(source: string, where: 'middle' | 'header' = 'middle'): Promise<string> {
  const bytes = Buffer.from(await fs.readFile(source));
  const start = where === 'header' ? 0 : Math.floor(bytes.length * 0.3);
  const length = where === 'header' ? 64 : Math.ceil(bytes.length * 0.02);
  // A fixed pseudo-random pattern (LCG), not Math.random: random garbage now and then reads as a
  // clean end of stream rather than as damage, and a test must see the same file every run.
  let state = 0x2545f491;
  for (let index = start; index < Math.min(bytes.length, start + length); index += 1) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    bytes[index] = state >>> 24;
  }
  const out = `${source}.${where}-corrupt${path.extname(source)}`;
  await fs.writeFile(out, bytes);
  return out;
}
