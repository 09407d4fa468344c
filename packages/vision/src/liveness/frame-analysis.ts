import type { HumanFace } from '../faces/human-engine.js';
import { MOIRE_PATCH_SIZE, moireSpectrum } from '../forensics/moire.js';
import { EYES_MESH, meanEyeAspectRatio } from './blink.js';
import { defaultCamera, estimateHeadPose, LANDMARKS_MESH, type Point2 } from './head-pose.js';
import type { VideoFrame } from './video-decode.js';

export interface FrameBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface FrameFaceSummary {
  score: number;
  box: FrameBox;
  /** Degrees, from the face mesh by solvePnP on the generic 3-D model. */
  yaw: number;
  pitch: number;
  roll: number;
  /** RMS reprojection error of the pose, relative to the eye distance. */
  poseError: number;
  /** Mean eye aspect ratio of both eyes. */
  ear: number;
}

export interface SkinSample {
  r: number;
  g: number;
  b: number;
  pixels: number;
}

/** Everything measured on one sampled frame (the face analysis runs in a worker). */
export interface FrameAnalysis {
  index: number;
  timeMs: number;
  /** Faces large and confident enough to count, largest first. */
  faces: FrameFaceSummary[];
  /** Mean colour of the largest face's cheeks and forehead. */
  skin?: SkinSample;
  /** Moiré peak (log-power excess) of a full-resolution patch around the face, on some frames. */
  moirePeak?: number;
  /** Share of the face's brightest pixels lying in texture-less glare (0 = none, 1 = all). */
  specularFlatness?: number;
}

/** A face counts when it is confident and at least this fraction of the frame's shorter side. */
export const MIN_FACE_SCORE = 0.5;
export const MIN_FACE_FRACTION = 0.08;

function point(mesh: HumanFace['mesh'], index: number): Point2 {
  const p = mesh[index];
  return { x: p?.[0] ?? 0, y: p?.[1] ?? 0 };
}

export function summarizeFaces(
  faces: HumanFace[],
  frame: { width: number; height: number },
): FrameFaceSummary[] {
  const minSide = Math.min(frame.width, frame.height) * MIN_FACE_FRACTION;
  const camera = defaultCamera(frame.width, frame.height);
  return faces
    .filter((face) => face.score >= MIN_FACE_SCORE && face.box.width >= minSide && face.mesh.length >= 468)
    .sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height)
    .map((face) => {
      const landmarks = face.mesh.map(([x, y]) => ({ x, y }));
      const pose = estimateHeadPose(landmarks, LANDMARKS_MESH, camera);
      const left = point(face.mesh, LANDMARKS_MESH.outerEyeLeft);
      const right = point(face.mesh, LANDMARKS_MESH.outerEyeRight);
      const eyeDistance = Math.max(1, Math.hypot(right.x - left.x, right.y - left.y));
      return {
        score: face.score,
        box: face.box,
        yaw: pose.yaw,
        pitch: pose.pitch,
        roll: pose.roll,
        poseError: pose.error / eyeDistance,
        ear: meanEyeAspectRatio(landmarks, EYES_MESH),
      };
    });
}

/**
 * Mean RGB of the cheeks (between the eye and the nose base, inside the eye corners) and the
 * forehead (above the brows), keeping skin-coloured, unsaturated pixels only. These regions
 * carry the strongest blood-volume signal and move with the face.
 */
export function skinSample(frame: VideoFrame, mesh: HumanFace['mesh']): SkinSample | undefined {
  const outerLeft = point(mesh, LANDMARKS_MESH.outerEyeLeft);
  const outerRight = point(mesh, LANDMARKS_MESH.outerEyeRight);
  const innerLeft = point(mesh, LANDMARKS_MESH.innerEyeLeft);
  const innerRight = point(mesh, LANDMARKS_MESH.innerEyeRight);
  const noseBase = point(mesh, LANDMARKS_MESH.noseBase);
  const d = Math.hypot(outerRight.x - outerLeft.x, outerRight.y - outerLeft.y);
  if (d < 8) return undefined;
  const eyeY = (outerLeft.y + outerRight.y + innerLeft.y + innerRight.y) / 4;
  const regions = [
    { x0: outerLeft.x + 0.1 * d, x1: innerLeft.x, y0: eyeY + 0.2 * d, y1: noseBase.y },
    { x0: innerRight.x, x1: outerRight.x - 0.1 * d, y0: eyeY + 0.2 * d, y1: noseBase.y },
    { x0: innerLeft.x, x1: innerRight.x, y0: eyeY - 0.6 * d, y1: eyeY - 0.35 * d },
  ];
  let r = 0;
  let g = 0;
  let b = 0;
  let pixels = 0;
  const { data, width, height } = frame;
  for (const region of regions) {
    const x0 = Math.max(0, Math.round(Math.min(region.x0, region.x1)));
    const x1 = Math.min(width - 1, Math.round(Math.max(region.x0, region.x1)));
    const y0 = Math.max(0, Math.round(Math.min(region.y0, region.y1)));
    const y1 = Math.min(height - 1, Math.round(Math.max(region.y0, region.y1)));
    for (let y = y0; y <= y1; y += 1) {
      for (let x = x0; x <= x1; x += 1) {
        const offset = (y * width + x) * 3;
        const pr = data[offset] as number;
        const pg = data[offset + 1] as number;
        const pb = data[offset + 2] as number;
        // Skin: red-dominant, not clipped, not dark (a simple RGB rule, enough inside the face).
        if (pr < 45 || pr > 250 || pg > 250 || pr <= pg || pr <= pb) continue;
        r += pr;
        g += pg;
        b += pb;
        pixels += 1;
      }
    }
  }
  if (pixels < 50) return undefined;
  return { r: r / pixels, g: g / pixels, b: b / pixels, pixels };
}

function luminance(data: Uint8Array, offset: number): number {
  return (
    0.299 * (data[offset] as number) +
    0.587 * (data[offset + 1] as number) +
    0.114 * (data[offset + 2] as number)
  );
}

/**
 * Moiré peak on a 256×256 grey patch centred on the face at full resolution (a screen's
 * pixel grid survives there; downscaling the frame would alias it away).
 */
export function faceMoirePeak(frame: VideoFrame, box: FrameBox): number | undefined {
  const size = MOIRE_PATCH_SIZE;
  if (frame.width < size || frame.height < size) return undefined;
  const cx = Math.round(box.x + box.width / 2);
  const cy = Math.round(box.y + box.height / 2);
  const left = Math.max(0, Math.min(frame.width - size, cx - size / 2));
  const top = Math.max(0, Math.min(frame.height - size, cy - size / 2));
  const patch = new Uint8Array(size * size);
  for (let y = 0; y < size; y += 1)
    for (let x = 0; x < size; x += 1)
      patch[y * size + x] = Math.round(luminance(frame.data, ((top + y) * frame.width + left + x) * 3));
  return moireSpectrum(patch).peak;
}

/**
 * Specular flatness: among the face box's brightest pixels (top 2 %, and at least 200/255),
 * the share whose local contrast (4-neighbour Laplacian) is below a tenth of the face's mean.
 * Skin highlights are small and textured; glare on a screen or a glossy print is a flat,
 * texture-less patch.
 */
export function specularFlatness(frame: VideoFrame, box: FrameBox): number {
  const x0 = Math.max(0, Math.round(box.x));
  const y0 = Math.max(0, Math.round(box.y));
  const x1 = Math.min(frame.width - 1, Math.round(box.x + box.width));
  const y1 = Math.min(frame.height - 1, Math.round(box.y + box.height));
  const w = x1 - x0 + 1;
  const h = y1 - y0 + 1;
  if (w < 3 || h < 3) return 0;
  const luma = new Float32Array(w * h);
  const histogram = new Uint32Array(256);
  for (let y = 0; y < h; y += 1)
    for (let x = 0; x < w; x += 1) {
      const value = luminance(frame.data, ((y0 + y) * frame.width + x0 + x) * 3);
      luma[y * w + x] = value;
      const bin = Math.min(255, Math.round(value));
      histogram[bin] = (histogram[bin] as number) + 1;
    }
  const inner = (w - 2) * (h - 2);
  const laplacian = new Float32Array(w * h);
  let laplacianSum = 0;
  for (let y = 1; y < h - 1; y += 1)
    for (let x = 1; x < w - 1; x += 1) {
      const i = y * w + x;
      const value = Math.abs(
        4 * (luma[i] as number) -
          (luma[i - 1] as number) -
          (luma[i + 1] as number) -
          (luma[i - w] as number) -
          (luma[i + w] as number),
      );
      laplacian[i] = value;
      laplacianSum += value;
    }
  let count = 0;
  let level = 255;
  while (level > 0 && count + (histogram[level] as number) <= luma.length * 0.02) {
    count += histogram[level] as number;
    level -= 1;
  }
  const threshold = Math.max(200, level);
  const flatBelow = (laplacianSum / inner) * 0.1;
  let bright = 0;
  let flat = 0;
  for (let y = 1; y < h - 1; y += 1)
    for (let x = 1; x < w - 1; x += 1) {
      const i = y * w + x;
      if ((luma[i] as number) < threshold) continue;
      bright += 1;
      if ((laplacian[i] as number) < flatBelow) flat += 1;
    }
  return bright === 0 ? 0 : flat / bright;
}
