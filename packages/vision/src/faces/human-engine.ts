import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);

/**
 * `@vladmandic/human` 3.3.6 on the same `@tensorflow/tfjs` WASM backend as face-api. Its
 * models ship inside the npm package (`models/`); they are read from disk through a
 * `file://` load router registered on tfjs-core (the node-wasm build has no file-system
 * handler of its own, and Node's `fetch` does not read `file://`), so nothing is downloaded.
 */

// biome-ignore lint/suspicious/noExplicitAny: human's and tfjs' CommonJS bundles are required untyped
type Untyped = any;

export type MeshPoint = [number, number, number];

export interface HumanFace {
  /** Combined detector and mesh confidence, 0–1. */
  score: number;
  box: { x: number; y: number; width: number; height: number };
  /** 478 points (468 mesh + 10 iris) in input pixels; z is relative depth. */
  mesh: MeshPoint[];
  /** 1024-d descriptor (HSE faceres), when description is enabled. */
  embedding?: number[];
  /** Passive anti-spoof model: 0 = spoof, 1 = real. */
  real?: number;
  /** Passive liveness model: 0 = not live, 1 = live. */
  live?: number;
}

export interface HumanDetectOptions {
  /** Descriptor (faceres) on each face. */
  description?: boolean;
  /** Anti-spoof and liveness models on each face. */
  antispoof?: boolean;
  maxFaces?: number;
  /** Iris model: refines the eyelid points (needed for a reliable eye aspect ratio). Default true. */
  iris?: boolean;
}

export interface HumanEngine {
  readonly modelVersions: Record<string, string>;
  /** Faces in a raw RGB frame (8-bit, interleaved). Stateless: no frame-to-frame caching. */
  detectRgb(
    rgb: Uint8Array,
    width: number,
    height: number,
    options?: HumanDetectOptions,
  ): Promise<HumanFace[]>;
}

let loading: Promise<HumanEngine> | undefined;

export function loadHumanEngine(): Promise<HumanEngine> {
  loading ??= createHumanEngine().catch((error) => {
    loading = undefined;
    throw error;
  });
  return loading;
}

let routerRegistered = false;

/** tf.io load router for `file://…/model.json` graph models: manifest and weight shards from disk. */
function registerFileRouter(tf: Untyped): void {
  if (routerRegistered) return;
  routerRegistered = true;
  tf.io.registerLoadRouter((url: unknown) => {
    if (typeof url !== 'string' || !url.startsWith('file://')) return null;
    const file = decodeURIComponent(new URL(url).pathname);
    return {
      load: async () => {
        const modelJson = JSON.parse(await fs.readFile(file, 'utf8'));
        return tf.io.getModelArtifactsForJSON(modelJson, async (manifest: Untyped[]) => {
          const specs: Untyped[] = [];
          const buffers: Buffer[] = [];
          for (const group of manifest) {
            specs.push(...group.weights);
            for (const shard of group.paths as string[])
              buffers.push(await fs.readFile(path.join(path.dirname(file), shard)));
          }
          const all = Buffer.concat(buffers);
          return [specs, all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength)];
        });
      },
    };
  });
}

async function createHumanEngine(): Promise<HumanEngine> {
  const tf = require('@tensorflow/tfjs-core');
  registerFileRouter(tf);
  // The package's `exports` map names its subpaths without "./", so Node refuses them:
  // resolve the main entry for the package's location, then load the WASM build by path.
  const packageDir = path.resolve(path.dirname(require.resolve('@vladmandic/human')), '..');
  const humanModule = require(path.join(packageDir, 'dist', 'human.node-wasm.js'));
  const wasmDir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  const base = {
    backend: 'wasm',
    wasmPath: `${wasmDir}${path.sep}`,
    modelBasePath: `${pathToFileURL(path.join(packageDir, 'models')).href}/`,
    debug: false,
    async: true,
    warmup: 'none',
    cacheModels: false,
    validateModels: false,
    // Every frame analysed on its own: no detector skipping between calls, results are reproducible.
    cacheSensitivity: 0,
    filter: { enabled: false },
    gesture: { enabled: false },
    body: { enabled: false },
    hand: { enabled: false },
    object: { enabled: false },
    segmentation: { enabled: false },
    face: {
      enabled: true,
      detector: {
        rotation: true,
        maxDetected: 5,
        minConfidence: 0.5,
        skipFrames: 0,
        skipTime: 0,
        return: false,
      },
      mesh: { enabled: true },
      iris: { enabled: true },
      emotion: { enabled: false },
      attention: { enabled: false },
      description: { enabled: true, skipFrames: 0, skipTime: 0 },
      antispoof: { enabled: true, skipFrames: 0, skipTime: 0 },
      liveness: { enabled: true, skipFrames: 0, skipTime: 0 },
    },
  };
  const human: Untyped = new humanModule.Human(base);
  await human.init();
  await human.load();
  const humanVersion = String(humanModule.Human.prototype?.version ?? human.version ?? 'unknown');
  const modelVersions = {
    human: humanVersion,
    tfjs: String(tf.version_core ?? 'unknown'),
    backend: String(tf.getBackend()),
    detector: 'blazeface',
    landmarks: 'facemesh (468) + iris',
    recognition: 'faceres (1024-d)',
    antispoof: 'antispoof',
    liveness: 'liveness',
  };

  // One float staging buffer per frame size: tfjs copies it into the WASM heap, so it can be
  // reused (a fresh 3.7 MB array per 640×480 frame mostly feeds the garbage collector).
  let staging = new Float32Array(0);
  return {
    modelVersions,
    async detectRgb(rgb, width, height, options = {}) {
      if (staging.length !== rgb.length) staging = new Float32Array(rgb.length);
      // Float32 input: tfjs copies it to the WASM heap as is (an int32 tensor from bytes costs ~6× more).
      staging.set(rgb);
      const tensor = tf.tensor4d(staging, [1, height, width, 3], 'float32');
      try {
        const result = await human.detect(tensor, {
          face: {
            detector: { maxDetected: options.maxFaces ?? 5 },
            iris: { enabled: options.iris ?? true },
            description: { enabled: options.description ?? true },
            antispoof: { enabled: options.antispoof ?? false },
            liveness: { enabled: options.antispoof ?? false },
          },
        });
        if (result.error) throw new Error(`face analysis failed: ${result.error}`);
        return (result.face as Untyped[]).map((face) => ({
          score: face.score as number,
          box: { x: face.box[0], y: face.box[1], width: face.box[2], height: face.box[3] },
          mesh: face.mesh as MeshPoint[],
          ...(face.embedding?.length ? { embedding: Array.from(face.embedding as number[]) } : {}),
          ...(typeof face.real === 'number' ? { real: face.real as number } : {}),
          ...(typeof face.live === 'number' ? { live: face.live as number } : {}),
        }));
      } finally {
        tensor.dispose();
      }
    },
  };
}
