/**
 * Head pose from 2-D landmarks, solvePnP-style: the rotation and translation of a generic
 * 3-D face model whose perspective projection best matches the landmarks (Levenberg–Marquardt
 * on the reprojection error), then yaw/pitch/roll of the model's forward axis.
 */

export interface Point2 {
  x: number;
  y: number;
}

export type Vec3 = [number, number, number];

/**
 * A generic adult face (arbitrary units, ≈ 0.2 mm; x to the image right, y up, z towards the
 * camera; nose tip at the origin). The six classic points (nose tip, chin, outer eye corners,
 * mouth corners) plus inner eye corners and the base of the nose.
 */
export const GENERIC_FACE_MODEL = {
  noseTip: [0, 0, 0],
  chin: [0, -330, -65],
  outerEyeLeft: [-225, 170, -135],
  outerEyeRight: [225, 170, -135],
  innerEyeLeft: [-80, 165, -120],
  innerEyeRight: [80, 165, -120],
  mouthLeft: [-150, -150, -125],
  mouthRight: [150, -150, -125],
  noseBase: [0, -70, -85],
} as const satisfies Record<string, Vec3>;

export type ModelPointName = keyof typeof GENERIC_FACE_MODEL;

/** iBUG 68-landmark index of each model point ("left" = image left). */
export const LANDMARKS_68: Record<ModelPointName, number> = {
  noseTip: 30,
  chin: 8,
  outerEyeLeft: 36,
  outerEyeRight: 45,
  innerEyeLeft: 39,
  innerEyeRight: 42,
  mouthLeft: 48,
  mouthRight: 54,
  noseBase: 33,
};

/** MediaPipe face-mesh (468) index of each model point. */
export const LANDMARKS_MESH: Record<ModelPointName, number> = {
  noseTip: 1,
  chin: 152,
  outerEyeLeft: 33,
  outerEyeRight: 263,
  innerEyeLeft: 133,
  innerEyeRight: 362,
  mouthLeft: 61,
  mouthRight: 291,
  noseBase: 2,
};

export interface HeadPose {
  /** Degrees; + = the subject turned to their own left (nose towards the image right of an unmirrored camera). */
  yaw: number;
  /** Degrees; + = looking up. */
  pitch: number;
  /** Degrees; + = head tilted clockwise in the image. */
  roll: number;
  /** RMS reprojection error in pixels. */
  error: number;
}

export interface Camera {
  /** Focal length in pixels. Default: the frame width (≈ 53° horizontal field of view). */
  focal: number;
  cx: number;
  cy: number;
}

export function defaultCamera(width: number, height: number): Camera {
  return { focal: width, cx: width / 2, cy: height / 2 };
}

type Mat3 = [number, number, number, number, number, number, number, number, number];

/** Rodrigues: rotation vector → row-major 3×3 matrix. */
export function rotationMatrix(r: Vec3): Mat3 {
  const theta = Math.hypot(r[0], r[1], r[2]);
  if (theta < 1e-12) return [1, 0, 0, 0, 1, 0, 0, 0, 1];
  const [kx, ky, kz] = [r[0] / theta, r[1] / theta, r[2] / theta];
  const c = Math.cos(theta);
  const s = Math.sin(theta);
  const v = 1 - c;
  return [
    c + kx * kx * v,
    kx * ky * v - kz * s,
    kx * kz * v + ky * s,
    ky * kx * v + kz * s,
    c + ky * ky * v,
    ky * kz * v - kx * s,
    kz * kx * v - ky * s,
    kz * ky * v + kx * s,
    c + kz * kz * v,
  ];
}

/** Model point in camera axes (x right, y down, z away from the camera). */
function toCameraAxes(point: readonly number[]): Vec3 {
  return [point[0] as number, -(point[1] as number), -(point[2] as number)];
}

/** Projects model points with pose (rotation vector, translation). */
export function projectPoints(
  model: readonly (readonly number[])[],
  r: Vec3,
  t: Vec3,
  camera: Camera,
): Point2[] {
  const m = rotationMatrix(r);
  return model.map((point) => {
    const [x, y, z] = toCameraAxes(point);
    const cx = m[0] * x + m[1] * y + m[2] * z + t[0];
    const cy = m[3] * x + m[4] * y + m[5] * z + t[1];
    const cz = m[6] * x + m[7] * y + m[8] * z + t[2];
    return { x: camera.focal * (cx / cz) + camera.cx, y: camera.focal * (cy / cz) + camera.cy };
  });
}

function residuals(
  model: readonly (readonly number[])[],
  image: Point2[],
  params: number[],
  camera: Camera,
): number[] {
  const projected = projectPoints(
    model,
    [params[0] as number, params[1] as number, params[2] as number],
    [params[3] as number, params[4] as number, params[5] as number],
    camera,
  );
  const out: number[] = [];
  projected.forEach((point, index) => {
    out.push(point.x - (image[index] as Point2).x, point.y - (image[index] as Point2).y);
  });
  return out;
}

/** Solves the 6×6 system A·x = b (Gaussian elimination, partial pivoting). */
function solve(a: number[][], b: number[]): number[] | undefined {
  const n = b.length;
  const m = a.map((row, index) => [...row, b[index] as number]);
  for (let col = 0; col < n; col += 1) {
    let pivot = col;
    for (let row = col + 1; row < n; row += 1)
      if (Math.abs((m[row] as number[])[col] as number) > Math.abs((m[pivot] as number[])[col] as number))
        pivot = row;
    if (Math.abs((m[pivot] as number[])[col] as number) < 1e-12) return undefined;
    [m[col], m[pivot]] = [m[pivot] as number[], m[col] as number[]];
    const pivotRow = m[col] as number[];
    for (let row = 0; row < n; row += 1) {
      if (row === col) continue;
      const current = m[row] as number[];
      const factor = (current[col] as number) / (pivotRow[col] as number);
      for (let k = col; k <= n; k += 1)
        current[k] = (current[k] as number) - factor * (pivotRow[k] as number);
    }
  }
  return m.map((row, index) => (row[n] as number) / (row[index] as number));
}

/**
 * Pose of `model` (3-D points) seen at `image` (2-D points, same order): rotation vector and
 * translation minimising the reprojection error, by Levenberg–Marquardt from a frontal guess.
 */
export function solvePnP(
  model: readonly (readonly number[])[],
  image: Point2[],
  camera: Camera,
): { rotation: Vec3; translation: Vec3; error: number } {
  // Frontal start: depth from the model's and the image's spread, centred on the points.
  const spread = (points: { x: number; y: number }[]) => {
    const mx = points.reduce((s, p) => s + p.x, 0) / points.length;
    const my = points.reduce((s, p) => s + p.y, 0) / points.length;
    return Math.sqrt(points.reduce((s, p) => s + (p.x - mx) ** 2 + (p.y - my) ** 2, 0) / points.length);
  };
  const modelSpread = spread(model.map((p) => ({ x: p[0] as number, y: p[1] as number })));
  const imageSpread = Math.max(1e-6, spread(image));
  const tz = (camera.focal * modelSpread) / imageSpread;
  const ix = image.reduce((s, p) => s + p.x, 0) / image.length;
  const iy = image.reduce((s, p) => s + p.y, 0) / image.length;
  const mx = model.reduce((s, p) => s + (p[0] as number), 0) / model.length;
  const my = -model.reduce((s, p) => s + (p[1] as number), 0) / model.length;
  let params = [
    0,
    0,
    0,
    ((ix - camera.cx) * tz) / camera.focal - mx,
    ((iy - camera.cy) * tz) / camera.focal - my,
    tz,
  ];
  let current = residuals(model, image, params, camera);
  let cost = current.reduce((s, v) => s + v * v, 0);
  let lambda = 1e-3;
  for (let iteration = 0; iteration < 100; iteration += 1) {
    const jacobian: number[][] = [];
    for (let k = 0; k < 6; k += 1) {
      const step = k < 3 ? 1e-6 : Math.max(1e-3, Math.abs(params[k] as number) * 1e-6);
      const shifted = [...params];
      shifted[k] = (shifted[k] as number) + step;
      const moved = residuals(model, image, shifted, camera);
      jacobian.push(moved.map((value, index) => (value - (current[index] as number)) / step));
    }
    const jtj = Array.from({ length: 6 }, (_, a) =>
      Array.from({ length: 6 }, (_, b) =>
        (jacobian[a] as number[]).reduce((s, v, i) => s + v * ((jacobian[b] as number[])[i] as number), 0),
      ),
    );
    const jtr = Array.from({ length: 6 }, (_, a) =>
      (jacobian[a] as number[]).reduce((s, v, i) => s + v * (current[i] as number), 0),
    );
    let improved = false;
    for (let attempt = 0; attempt < 10; attempt += 1) {
      const damped = jtj.map((row, a) => row.map((v, b) => (a === b ? v * (1 + lambda) + 1e-9 : v)));
      const delta = solve(
        damped,
        jtr.map((v) => -v),
      );
      if (!delta) break;
      const candidate = params.map((v, k) => v + (delta[k] as number));
      const next = residuals(model, image, candidate, camera);
      const nextCost = next.reduce((s, v) => s + v * v, 0);
      if (nextCost < cost) {
        const gain = cost - nextCost;
        params = candidate;
        current = next;
        cost = nextCost;
        lambda = Math.max(1e-9, lambda / 10);
        improved = true;
        if (gain < 1e-10 * Math.max(1, cost)) iteration = 100;
        break;
      }
      lambda *= 10;
    }
    if (!improved) break;
  }
  return {
    rotation: [params[0] as number, params[1] as number, params[2] as number],
    translation: [params[3] as number, params[4] as number, params[5] as number],
    error: Math.sqrt(cost / image.length),
  };
}

const DEG = 180 / Math.PI;

/** Yaw/pitch/roll (degrees) of a rotation vector, from where the model's forward axis and its up axis point. */
export function eulerFromRotation(rotation: Vec3): { yaw: number; pitch: number; roll: number } {
  const m = rotationMatrix(rotation);
  // Model forward (+z, towards the camera) is (0,0,−1) in camera axes; up (+y) is (0,−1,0).
  const forward = [-m[2], -m[5], -m[8]];
  const up = [-m[1], -m[4], -m[7]];
  const yaw = Math.atan2(forward[0] as number, -(forward[2] as number)) * DEG;
  const pitch =
    Math.atan2(-(forward[1] as number), Math.hypot(forward[0] as number, forward[2] as number)) * DEG;
  const roll = Math.atan2(up[0] as number, -(up[1] as number)) * DEG;
  return { yaw, pitch, roll };
}

/** Head pose from landmarks, given which landmark index is each model point. */
export function estimateHeadPose(
  landmarks: readonly Point2[],
  indices: Record<ModelPointName, number>,
  camera: Camera,
): HeadPose {
  const names = Object.keys(GENERIC_FACE_MODEL) as ModelPointName[];
  const model = names.map((name) => GENERIC_FACE_MODEL[name]);
  const image = names.map((name) => {
    const point = landmarks[indices[name]];
    if (!point) throw new Error(`landmark ${indices[name]} missing`);
    return { x: point.x, y: point.y };
  });
  const { rotation, error } = solvePnP(model, image, camera);
  return { ...eulerFromRotation(rotation), error };
}

/** Rotation vector of yaw, then pitch, then roll (degrees), the inverse of `eulerFromRotation`. */
export function rotationFromEuler(yaw: number, pitch: number, roll: number): Vec3 {
  // Compose R = Ry(yaw) · Rx(pitch) · Rz(roll) in camera axes, then take its rotation vector.
  const y = -yaw / DEG;
  const p = -pitch / DEG;
  const r = roll / DEG;
  const ry: Mat3 = [Math.cos(y), 0, Math.sin(y), 0, 1, 0, -Math.sin(y), 0, Math.cos(y)];
  const rx: Mat3 = [1, 0, 0, 0, Math.cos(p), -Math.sin(p), 0, Math.sin(p), Math.cos(p)];
  const rz: Mat3 = [Math.cos(r), -Math.sin(r), 0, Math.sin(r), Math.cos(r), 0, 0, 0, 1];
  const m = multiply(multiply(ry, rx), rz);
  const angle = Math.acos(Math.max(-1, Math.min(1, (m[0] + m[4] + m[8] - 1) / 2)));
  if (angle < 1e-12) return [0, 0, 0];
  const k = angle / (2 * Math.sin(angle));
  return [(m[7] - m[5]) * k, (m[2] - m[6]) * k, (m[3] - m[1]) * k];
}

function multiply(a: Mat3, b: Mat3): Mat3 {
  const out = new Array<number>(9).fill(0) as Mat3;
  for (let row = 0; row < 3; row += 1)
    for (let col = 0; col < 3; col += 1)
      for (let k = 0; k < 3; k += 1)
        out[row * 3 + col] =
          (out[row * 3 + col] as number) + (a[row * 3 + k] as number) * (b[k * 3 + col] as number);
  return out;
}
