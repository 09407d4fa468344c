import { createRequire } from 'node:module';
import path from 'node:path';
import { decodeRgb, openImage, type RgbImage, withImageDecodeSlot } from '../images/decode.js';
import { type DocumentRaster, isDocumentRaster, rasterToSharp } from '../images/document-raster.js';

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

export interface Point {
  x: number;
  y: number;
}

export interface FrameFace {
  score: number;
  box: FaceBox;
  /** The 68 iBUG/dlib landmarks, in frame pixels. */
  landmarks: Point[];
  /** 128-d descriptor, only when asked for. */
  descriptor?: Float32Array;
}

export interface FrameDetectionOptions {
  minConfidence?: number;
  /** Compute the 128-d descriptor of each face (≈ 2× the cost of detection + landmarks). */
  descriptors?: boolean;
  /**
   * `ssd` (SSD MobileNet v1, 512² input: the accurate default) or `tiny` (Tiny Face
   * Detector at `tinyInputSize`, several times faster, for frames whose face is large).
   */
  detector?: 'ssd' | 'tiny';
  tinyInputSize?: number;
}

export interface FaceEngine {
  readonly modelVersions: Record<string, string>;
  /** Every face in the image, best first, with landmarks-aligned descriptors. */
  detect(image: Uint8Array | DocumentRaster, options?: FaceDetectionOptions): Promise<DetectedFace[]>;
  /** Every face of an already decoded RGB frame (video analysis), best first, with its 68 landmarks. */
  detectFrame(frame: RgbImage, options?: FrameDetectionOptions): Promise<FrameFace[]>;
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
  await faceapi.nets.tinyFaceDetector.loadFromDisk(modelDir);
  const faceApiVersion: string = require('@vladmandic/face-api/package.json').version;
  const modelVersions = {
    'face-api': faceApiVersion,
    tfjs: String(tf.version_core ?? tf.version?.['tfjs-core'] ?? 'unknown'),
    backend: String(tf.getBackend()),
    detector: 'ssd_mobilenetv1',
    videoDetector: 'tiny_face_detector',
    landmarks: 'face_landmark_68',
    recognition: 'face_recognition (128-d)',
  };

  return {
    modelVersions,
    async detect(image, options = {}) {
      const minConfidence = options.minConfidence ?? 0.5;
      const maxSide = options.maxSide ?? 1280;
      const source = isDocumentRaster(image)
        ? await scaledRaster(image, maxSide)
        : await decodeRgb(image, maxSide);
      const original = isDocumentRaster(image)
        ? { width: image.sourceWidth, height: image.sourceHeight }
        : await decodeOriginalSize(image);
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
    async detectFrame(frame, options = {}) {
      const minConfidence = options.minConfidence ?? 0.5;
      const detectorOptions =
        options.detector === 'tiny'
          ? new faceapi.TinyFaceDetectorOptions({
              inputSize: options.tinyInputSize ?? 320,
              scoreThreshold: minConfidence,
            })
          : new faceapi.SsdMobilenetv1Options({ minConfidence, maxResults: 20 });
      // Float32 input: tfjs copies it to the WASM heap as is (an int32 tensor from bytes costs ~6× more).
      const tensor = tf.tensor3d(Float32Array.from(frame.data), [frame.height, frame.width, 3], 'float32');
      try {
        const withLandmarks = faceapi.detectAllFaces(tensor, detectorOptions).withFaceLandmarks();
        const results: FaceApi[] = options.descriptors
          ? await withLandmarks.withFaceDescriptors()
          : await withLandmarks;
        return results
          .map((result) => ({
            score: result.detection.score as number,
            box: {
              x: result.detection.box.x as number,
              y: result.detection.box.y as number,
              width: result.detection.box.width as number,
              height: result.detection.box.height as number,
            },
            landmarks: (result.landmarks.positions as Point[]).map((point) => ({ x: point.x, y: point.y })),
            ...(options.descriptors ? { descriptor: result.descriptor as Float32Array } : {}),
          }))
          .sort((a, b) => b.score - a.score);
      } finally {
        tensor.dispose();
      }
    },
  };
}

/** The raster at most `maxSide` pixels on its longest side (as `decodeRgb` scales bytes). */
async function scaledRaster(raster: DocumentRaster, maxSide: number): Promise<RgbImage> {
  if (Math.max(raster.width, raster.height) <= maxSide) return raster;
  const { data, info } = await withImageDecodeSlot(() =>
    rasterToSharp(raster)
      .resize({ width: maxSide, height: maxSide, fit: 'inside', withoutEnlargement: true })
      .raw()
      .toBuffer({ resolveWithObject: true }),
  );
  return {
    data: new Uint8Array(data.buffer, data.byteOffset, data.length),
    width: info.width,
    height: info.height,
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
