import { createRequire } from 'node:module';
import path from 'node:path';
import { decodeRgb, openImage, withImageDecodeSlot } from '../images/decode.js';

const require = createRequire(import.meta.url);

export interface FaceBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface DetectedFace {
  /** Detector confidence, 0–1. */
  score: number;
  /** In the pixels of the (EXIF-rotated) input image. */
  box: FaceBox;
  /** 128-d face-recognition descriptor. */
  descriptor: Float32Array;
}

export interface FaceDetectionOptions {
  /** Detections below this confidence are ignored. Default 0.5. */
  minConfidence?: number;
  /** Longest side the image is scaled down to before inference (bounds CPU). Default 1280. */
  maxSide?: number;
}

export interface FaceEngine {
  readonly modelVersions: Record<string, string>;
  /** Every face in the image, best first, with landmarks-aligned descriptors. */
  detect(image: Uint8Array, options?: FaceDetectionOptions): Promise<DetectedFace[]>;
}

// biome-ignore lint/suspicious/noExplicitAny: face-api's node-wasm bundle ships no usable types for require()
type FaceApi = any;

let loading: Promise<FaceEngine> | undefined;

/**
 * The face engine of this process. TensorFlow.js keeps its backend and models in global
 * state, so models are loaded once per process and every caller shares them.
 */
export function loadFaceEngine(): Promise<FaceEngine> {
  loading ??= createFaceEngine().catch((error) => {
    loading = undefined;
    throw error;
  });
  return loading;
}

async function createFaceEngine(): Promise<FaceEngine> {
  const faceapi: FaceApi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');
  const wasm = require('@tensorflow/tfjs-backend-wasm');
  const tf = faceapi.tf;
  const wasmDir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  wasm.setWasmPaths(`${wasmDir}${path.sep}`);
  await tf.setBackend('wasm');
  await tf.ready();
  const packageDir = path.dirname(require.resolve('@vladmandic/face-api/package.json'));
  const modelDir = path.join(packageDir, 'model');
  await faceapi.nets.ssdMobilenetv1.loadFromDisk(modelDir);
  await faceapi.nets.faceLandmark68Net.loadFromDisk(modelDir);
  await faceapi.nets.faceRecognitionNet.loadFromDisk(modelDir);
  const faceApiVersion: string = require('@vladmandic/face-api/package.json').version;
  const modelVersions = {
    'face-api': faceApiVersion,
    tfjs: String(tf.version_core ?? tf.version?.['tfjs-core'] ?? 'unknown'),
    backend: String(tf.getBackend()),
    detector: 'ssd_mobilenetv1',
    landmarks: 'face_landmark_68',
    recognition: 'face_recognition (128-d)',
  };

  return {
    modelVersions,
    async detect(image, options = {}) {
      const minConfidence = options.minConfidence ?? 0.5;
      const source = await decodeRgb(image, options.maxSide ?? 1280);
      const original = await decodeOriginalSize(image);
      const scale = original.width / source.width;
      const tensor = tf.tensor3d(source.data, [source.height, source.width, 3], 'int32');
      try {
        const results: FaceApi[] = await faceapi
          .detectAllFaces(tensor, new faceapi.SsdMobilenetv1Options({ minConfidence, maxResults: 20 }))
          .withFaceLandmarks()
          .withFaceDescriptors();
        return results
          .map((result) => ({
            score: result.detection.score as number,
            box: {
              x: Math.round(result.detection.box.x * scale),
              y: Math.round(result.detection.box.y * scale),
              width: Math.round(result.detection.box.width * scale),
              height: Math.round(result.detection.box.height * scale),
            },
            descriptor: result.descriptor as Float32Array,
          }))
          .sort((a, b) => b.score - a.score);
      } finally {
        tensor.dispose();
      }
    },
  };
}

async function decodeOriginalSize(image: Uint8Array): Promise<{ width: number; height: number }> {
  const metadata = await withImageDecodeSlot(() => openImage(image).metadata());
  const rotated = (metadata.orientation ?? 1) >= 5;
  return {
    width: (rotated ? metadata.height : metadata.width) ?? 1,
    height: (rotated ? metadata.width : metadata.height) ?? 1,
  };
}
