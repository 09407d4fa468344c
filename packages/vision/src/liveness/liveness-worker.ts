/**
 * The CPU-heavy half of the video analysis, run on a vision worker thread (`handleWorkerRequest`
 * is the task `LivenessWorkerPool` sends): face mesh per frame (human),
 * descriptors (face-api), passive anti-spoof/liveness scores. Models are loaded once per
 * worker; frames are kept until the coordinator releases them, so descriptors can be taken on
 * the frames it picks after seeing the whole video.
 */
import sharp from 'sharp';
import { loadFaceEngine } from '../faces/face-engine.js';
import { loadHumanEngine } from '../faces/human-engine.js';
import { MAX_IMAGE_PIXELS } from '../images/decode.js';
import {
  type FrameAnalysis,
  faceMoirePeak,
  skinSample,
  specularFlatness,
  summarizeFaces,
} from './frame-analysis.js';
import type { VideoFrame } from './video-decode.js';

export type WorkerRequest =
  | { type: 'warm' }
  | {
      type: 'frame';
      video: number;
      index: number;
      frame: VideoFrame;
      screen: boolean;
      keep: boolean;
    }
  | { type: 'descriptor'; video: number; index: number; passive: boolean }
  | { type: 'image-descriptor'; bytes: Uint8Array }
  | { type: 'frame-jpeg'; video: number; index: number }
  | { type: 'release'; video: number };

export interface DescriptorResult {
  descriptor: number[] | null;
  faces: number;
  /** human's passive anti-spoof (real) and liveness (live) scores, 0–1. */
  antispoof?: number;
  liveness?: number;
}

/** Frames kept per video being analysed (several analyses can share a worker). */
const kept = new Map<number, Map<number, VideoFrame>>();

function keptFrame(video: number, index: number): VideoFrame | undefined {
  return kept.get(video)?.get(index);
}

async function handle(request: WorkerRequest): Promise<unknown> {
  switch (request.type) {
    case 'warm': {
      const [human, faces] = await Promise.all([loadHumanEngine(), loadFaceEngine()]);
      const prefixed = (prefix: string, versions: Record<string, string>) =>
        Object.fromEntries(Object.entries(versions).map(([key, value]) => [`${prefix}.${key}`, value]));
      return { ...prefixed('faceApi', faces.modelVersions), ...prefixed('human', human.modelVersions) };
    }
    case 'frame': {
      const human = await loadHumanEngine();
      const { frame } = request;
      const detected = await human.detectRgb(frame.data, frame.width, frame.height, {
        description: false,
        iris: true,
        maxFaces: 5,
      });
      const faces = summarizeFaces(detected, frame);
      const analysis: FrameAnalysis = { index: request.index, timeMs: frame.timeMs, faces };
      const main = faces[0];
      if (main) {
        const mesh = detected.find((face) => face.box === main.box)?.mesh;
        const skin = mesh ? skinSample(frame, mesh) : undefined;
        if (skin) analysis.skin = skin;
        if (request.screen) {
          const peak = faceMoirePeak(frame, main.box);
          if (peak !== undefined) analysis.moirePeak = peak;
          analysis.specularFlatness = specularFlatness(frame, main.box);
        }
        if (request.keep && faces.length === 1) {
          let frames = kept.get(request.video);
          if (!frames) {
            frames = new Map();
            kept.set(request.video, frames);
          }
          frames.set(request.index, frame);
        }
      }
      return analysis;
    }
    case 'descriptor': {
      const frame = keptFrame(request.video, request.index);
      if (!frame) return { descriptor: null, faces: 0 } satisfies DescriptorResult;
      const engine = await loadFaceEngine();
      const faces = await engine.detectFrame(frame, {
        detector: 'tiny',
        tinyInputSize: 416,
        descriptors: true,
        minConfidence: 0.4,
      });
      const result: DescriptorResult = {
        descriptor: faces[0]?.descriptor ? Array.from(faces[0].descriptor) : null,
        faces: faces.length,
      };
      if (request.passive) {
        const human = await loadHumanEngine();
        const scored = await human.detectRgb(frame.data, frame.width, frame.height, {
          description: false,
          iris: false,
          antispoof: true,
          maxFaces: 1,
        });
        if (scored[0]?.real !== undefined) result.antispoof = scored[0].real;
        if (scored[0]?.live !== undefined) result.liveness = scored[0].live;
      }
      return result;
    }
    case 'image-descriptor': {
      const engine = await loadFaceEngine();
      const faces = await engine.detect(request.bytes, { minConfidence: 0.5 });
      return {
        descriptor: faces[0] ? Array.from(faces[0].descriptor) : null,
        faces: faces.length,
      } satisfies DescriptorResult;
    }
    case 'frame-jpeg': {
      const frame = keptFrame(request.video, request.index);
      if (!frame) return null;
      const jpeg = await sharp(frame.data, {
        raw: { width: frame.width, height: frame.height, channels: 3 },
        limitInputPixels: MAX_IMAGE_PIXELS,
      })
        .jpeg({ quality: 85 })
        .toBuffer();
      return new Uint8Array(jpeg.buffer, jpeg.byteOffset, jpeg.length);
    }
    case 'release':
      kept.delete(request.video);
      return null;
  }
}

export { handle as handleWorkerRequest };
