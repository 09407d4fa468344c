import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { distanceToSimilarity, euclideanDistance } from '../faces/similarity.js';
import { type BlinkEvent, detectBlinks } from './blink.js';
import {
  type ChallengeResult,
  type ChallengeStep,
  evaluateChallenge,
  LIVENESS_ACTIONS,
  type MotionEvent,
  motionEvents,
  neutralPose,
  type PoseSample,
} from './challenge.js';
import type { FrameAnalysis } from './frame-analysis.js';
import type { DescriptorResult } from './liveness-worker.js';
import { estimatePulse, type PulseEstimate } from './rppg.js';
import { decodeVideo, VideoDecodeError } from './video-decode.js';
import { type LivenessWorkerPool, livenessWorkerPool, type PoolWorker } from './worker-pool.js';

/**
 * Decision thresholds. They are not part of any failure code or message: an attacker tuning a
 * forgery against the API learns which check failed, never by how much.
 */
export const LIVENESS_THRESHOLDS = {
  /** Frames per second sampled from the video (container timestamps kept). */
  sampleRate: 10,
  /** Frames are analysed at most this large (longest side, px): a selfie's face is then ≈ the mesh model's 192 px input. */
  frameMaxSide: 480,
  /** Shortest analysable recording. */
  minDurationMs: 2500,
  /** Share of sampled frames that must show a face. */
  minFacePresence: 0.8,
  /** A second face in more than this share of frames (and at least 2 frames) fails. */
  maxMultiFaceShare: 0.1,
  /** face-api descriptor distance: same person across frames / as the document portrait. */
  maxIdentityDistance: 0.55,
  maxMatchDistance: 0.55,
  /** rPPG: spectral SNR (dB) of the pulse, and the plausible heart-rate range. */
  minPulseSnrDb: 3,
  minPulseBpm: 42,
  maxPulseBpm: 180,
  /** Median moiré peak (log-power excess) over the face patches from which a screen is suspected. */
  maxMoirePeak: 7,
  /** Blinks: EAR below this share of the open-eye baseline, and back above `blinkReopen`. */
  blinkClosed: 0.82,
  blinkReopen: 0.9,
} as const;

export type LivenessFailureCode =
  | 'VIDEO_UNREADABLE'
  | 'VIDEO_TOO_LARGE'
  | 'VIDEO_CORRUPT'
  | 'VIDEO_TOO_SHORT'
  | 'FACE_NOT_FOUND'
  | 'MULTIPLE_FACES'
  | 'IDENTITY_CHANGED'
  | 'CHALLENGE_NOT_PERFORMED'
  | 'PULSE_NOT_DETECTED'
  | 'SCREEN_REPLAY_SUSPECTED'
  | 'DOCUMENT_FACE_NOT_FOUND'
  | 'FACE_MISMATCH';

export interface LivenessAnalysisOptions {
  /** The challenge bound to this request: actions and their windows (ms from the first frame). */
  challenge: ChallengeStep[];
  /** The document's portrait (JPEG/PNG/WebP bytes) to match the best frontal frame against. */
  documentPortrait?: Uint8Array;
  /** Largest accepted video, bytes. Default 50 MiB. */
  maxBytes?: number;
  /** Only the first part of a longer video is analysed. Default 20 s. */
  maxDurationMs?: number;
  /**
   * The document portrait's 128-d face-api descriptor when the caller already has it (kyc's
   * document analysis computes it): saves detecting the face again (≈ 0.6 s of CPU).
   * Takes precedence over `documentPortrait`.
   */
  documentDescriptor?: ArrayLike<number>;
  /** Return the best frontal frame as a JPEG (evidence for a reviewer). Default false. */
  includeBestFrame?: boolean;
  /** Worker pool; default the process's shared pool. */
  pool?: LivenessWorkerPool;
}

export interface CheckResult {
  passed: boolean;
}

export interface LivenessAnalysis {
  passed: boolean;
  /** Failed checks, in a stable order. Names only, never thresholds. */
  failureCodes: LivenessFailureCode[];
  checks: {
    video: CheckResult & { readable: boolean; complete: boolean; longEnough: boolean };
    facePresence?: CheckResult & { share: number };
    singleFace?: CheckResult & { maxFaces: number; multiFaceFrames: number };
    identity?: CheckResult & { maxDistance: number | null; framesCompared: number };
    challenge?: CheckResult & ChallengeResult;
    pulse?: CheckResult & { bpm: number | null; snrDb: number | null };
    screenReplay?: CheckResult & { moirePeak: number | null; specularFlatness: number | null };
    faceMatch?: CheckResult & { distance: number | null; faceSimilarityScore: number | null };
  };
  signals: {
    container?: string;
    codec?: string;
    sourceWidth?: number;
    sourceHeight?: number;
    /** Sampled frames analysed and their rate, from the container's timestamps. */
    framesAnalysed: number;
    durationMs: number;
    fps: number;
    yawTrack: (PoseSample & { ear: number })[];
    neutralPose?: { yaw: number; pitch: number };
    motions: MotionEvent[];
    blinks: BlinkEvent[];
    pulse: PulseEstimate | null;
    maxFaces: number;
    identityDistance: number | null;
    moirePeak: number | null;
    specularFlatness: number | null;
    /** human's passive models (0–1, mean over the descriptor frames): signals, never a pass on their own. */
    antispoof: number | null;
    liveness: number | null;
    faceSimilarityScore: number | null;
    faceDistance: number | null;
    bestFrontalFrame: { index: number; timeMs: number; yaw: number; pitch: number; jpeg?: Uint8Array } | null;
    streamErrors: string[];
  };
  timingMs: { decode: number; total: number };
}

export class LivenessInputError extends Error {
  override readonly name = 'LivenessInputError';
}

function validateOptions(options: LivenessAnalysisOptions): void {
  validateChallenge(options.challenge);
  if (options.documentDescriptor && options.documentDescriptor.length !== 128)
    throw new LivenessInputError('documentDescriptor must be a 128-d face-api descriptor');
}

function validateChallenge(challenge: readonly ChallengeStep[]): void {
  if (!Array.isArray(challenge) || challenge.length === 0 || challenge.length > 10)
    throw new LivenessInputError('challenge must have 1 to 10 steps');
  for (const step of challenge) {
    if (!LIVENESS_ACTIONS.includes(step.action))
      throw new LivenessInputError(`unknown action ${String(step.action)}`);
    if (
      !Number.isFinite(step.windowStartMs) ||
      !Number.isFinite(step.windowEndMs) ||
      step.windowStartMs < 0 ||
      step.windowEndMs <= step.windowStartMs
    )
      throw new LivenessInputError('each challenge window needs 0 ≤ windowStartMs < windowEndMs');
  }
}

const median = (values: number[]): number | null =>
  values.length ? ([...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number) : null;

function emptySignals(): LivenessAnalysis['signals'] {
  return {
    framesAnalysed: 0,
    durationMs: 0,
    fps: 0,
    yawTrack: [],
    motions: [],
    blinks: [],
    pulse: null,
    maxFaces: 0,
    identityDistance: null,
    moirePeak: null,
    specularFlatness: null,
    antispoof: null,
    liveness: null,
    faceSimilarityScore: null,
    faceDistance: null,
    bestFrontalFrame: null,
    streamErrors: [],
  };
}

function videoFailure(
  code: 'VIDEO_UNREADABLE' | 'VIDEO_TOO_LARGE',
  started: number,
  signals = emptySignals(),
): LivenessAnalysis {
  return {
    passed: false,
    failureCodes: [code],
    checks: { video: { passed: false, readable: false, complete: false, longEnough: false } },
    signals,
    timingMs: { decode: 0, total: Math.round(performance.now() - started) },
  };
}

/**
 * Server-side liveness from a recorded video (WebM, MP4, anything the bundled ffmpeg reads):
 * decode with ffmpeg at `LIVENESS_THRESHOLDS.sampleRate` frames per second on the container's
 * timestamps; per frame, in worker threads, the face mesh (human), head pose by solvePnP on a
 * generic 3-D face, eye aspect ratio, skin colour, and the moiré and
 * glare measures (every tenth frame); then the challenge, rPPG pulse, single face, identity across frames
 * (face-api descriptors) and the match with the document portrait.
 *
 * A video that cannot be read gives a failed analysis with `VIDEO_UNREADABLE`, never an
 * exception; exceptions are for a bad `options.challenge` (a programming error) or an
 * engine that cannot start.
 */
export async function analyzeLivenessVideo(
  input: string | Uint8Array,
  options: LivenessAnalysisOptions,
): Promise<LivenessAnalysis> {
  const started = performance.now();
  validateOptions(options);
  const maxBytes = options.maxBytes ?? 50 * 1024 * 1024;
  let filePath: string;
  let tempDir: string | undefined;
  if (typeof input === 'string') {
    const stat = await fs.stat(input).catch(() => undefined);
    if (!stat?.isFile() || stat.size === 0) return videoFailure('VIDEO_UNREADABLE', started);
    if (stat.size > maxBytes) return videoFailure('VIDEO_TOO_LARGE', started);
    filePath = input;
  } else {
    if (input.length === 0) return videoFailure('VIDEO_UNREADABLE', started);
    if (input.length > maxBytes) return videoFailure('VIDEO_TOO_LARGE', started);
    // ffmpeg needs a seekable file (an MP4's index can sit at its end).
    tempDir = await fs.mkdtemp(path.join(os.tmpdir(), 'liveness-'));
    filePath = path.join(tempDir, 'video');
    await fs.writeFile(filePath, input, { mode: 0o600 });
  }
  const pool = options.pool ?? livenessWorkerPool();
  const owners = new Map<number, PoolWorker>();
  const video = nextVideoId;
  nextVideoId += 1;
  try {
    return await analyzeFile(filePath, options, pool, owners, video, started);
  } finally {
    await Promise.allSettled(pool.all().map((worker) => pool.request(worker, { type: 'release', video })));
    if (tempDir) await fs.rm(tempDir, { recursive: true, force: true });
  }
}

/** Names each analysis's frames in the workers, so concurrent analyses on one pool stay apart. */
let nextVideoId = 1;

async function analyzeFile(
  filePath: string,
  options: LivenessAnalysisOptions,
  pool: LivenessWorkerPool,
  owners: Map<number, PoolWorker>,
  video: number,
  started: number,
): Promise<LivenessAnalysis> {
  const thresholds = LIVENESS_THRESHOLDS;
  // The portrait's descriptor is computed while the video decodes.
  const portrait = options.documentDescriptor
    ? Promise.resolve<DescriptorResult>({ descriptor: Array.from(options.documentDescriptor), faces: 1 })
    : options.documentPortrait
      ? pool
          .request<DescriptorResult>(pool.pick(), {
            type: 'image-descriptor',
            bytes: options.documentPortrait,
          })
          .catch((): DescriptorResult => ({ descriptor: null, faces: 0 }))
      : undefined;
  const pending: Promise<FrameAnalysis>[] = [];
  let decoded: Awaited<ReturnType<typeof decodeVideo>>;
  try {
    decoded = await decodeVideo(filePath, {
      sampleRate: thresholds.sampleRate,
      maxSide: thresholds.frameMaxSide,
      maxDurationMs: options.maxDurationMs ?? 20_000,
      onFrame: async (frame, index) => {
        // Bounded hand-off: at most two frames queued per worker.
        await pool.waitForCapacity(pool.size * 2);
        const worker = pool.pick();
        owners.set(index, worker);
        const analysis = pool.request<FrameAnalysis>(
          worker,
          { type: 'frame', video, index, frame, screen: index % 10 === 5, keep: true },
          [frame.data.buffer as ArrayBuffer],
        );
        // Handled where it is awaited; this keeps a worker failure mid-decode from surfacing as
        // an unhandled rejection (which would end the process) before then.
        analysis.catch(() => undefined);
        pending.push(analysis);
      },
    });
  } catch (error) {
    await Promise.allSettled(pending);
    if (error instanceof VideoDecodeError) return videoFailure('VIDEO_UNREADABLE', started);
    throw error;
  }
  const decodeMs = performance.now() - started;
  const frames = (await Promise.all(pending)).sort((a, b) => a.timeMs - b.timeMs);
  const signals = emptySignals();
  if (decoded.container) signals.container = decoded.container;
  if (decoded.codec) signals.codec = decoded.codec;
  if (decoded.sourceWidth) signals.sourceWidth = decoded.sourceWidth;
  if (decoded.sourceHeight) signals.sourceHeight = decoded.sourceHeight;
  signals.streamErrors = decoded.streamErrors.slice(0, 5);
  const firstMs = frames[0]?.timeMs ?? 0;
  // Times relative to the first frame: the challenge windows count from the recording's start.
  for (const frame of frames) frame.timeMs -= firstMs;
  const durationMs = frames.at(-1)?.timeMs ?? 0;
  signals.framesAnalysed = frames.length;
  signals.durationMs = Math.round(durationMs);
  signals.fps = durationMs > 0 ? Math.round(((frames.length - 1) / durationMs) * 10_000) / 10 : 0;

  const complete = decoded.streamErrors.length === 0 && decoded.exitCode === 0;
  const longEnough = durationMs >= thresholds.minDurationMs && frames.length >= 10;
  const checks: LivenessAnalysis['checks'] = {
    video: { passed: complete && longEnough, readable: true, complete, longEnough },
  };

  // Faces.
  const withFace = frames.filter((frame) => frame.faces.length > 0);
  const multi = frames.filter((frame) => frame.faces.length > 1).length;
  signals.maxFaces = Math.max(0, ...frames.map((frame) => frame.faces.length));
  const presence = frames.length ? withFace.length / frames.length : 0;
  checks.facePresence = {
    passed: presence >= thresholds.minFacePresence,
    share: Math.round(presence * 1000) / 1000,
  };
  checks.singleFace = {
    passed: !(multi >= 2 && multi > frames.length * thresholds.maxMultiFaceShare),
    maxFaces: signals.maxFaces,
    multiFaceFrames: multi,
  };

  // Pose, blinks, challenge.
  const track = withFace.map((frame) => {
    const face = frame.faces[0] as FrameAnalysis['faces'][number];
    return { timeMs: frame.timeMs, yaw: face.yaw, pitch: face.pitch, ear: face.ear };
  });
  signals.yawTrack = track.map((sample) => ({
    timeMs: Math.round(sample.timeMs),
    yaw: Math.round(sample.yaw * 10) / 10,
    pitch: Math.round(sample.pitch * 10) / 10,
    ear: Math.round(sample.ear * 1000) / 1000,
  }));
  const neutral = neutralPose(track);
  signals.neutralPose = {
    yaw: Math.round(neutral.yaw * 10) / 10,
    pitch: Math.round(neutral.pitch * 10) / 10,
  };
  signals.motions = motionEvents(track, neutral);
  signals.blinks = detectBlinks(
    track.map((sample) => ({ timeMs: sample.timeMs, ear: sample.ear })),
    { closedRatio: thresholds.blinkClosed, reopenRatio: thresholds.blinkReopen },
  );
  const challenge = evaluateChallenge(options.challenge, signals.motions, signals.blinks);
  checks.challenge = { ...challenge };

  // Pulse.
  const pulse = estimatePulse(
    frames.flatMap((frame) => (frame.skin ? [{ timeMs: frame.timeMs, ...frame.skin }] : [])),
    { sampleRate: thresholds.sampleRate },
  );
  signals.pulse = pulse ?? null;
  checks.pulse = {
    passed:
      pulse !== undefined &&
      pulse.snrDb >= thresholds.minPulseSnrDb &&
      pulse.bpm >= thresholds.minPulseBpm &&
      pulse.bpm <= thresholds.maxPulseBpm,
    bpm: pulse?.bpm ?? null,
    snrDb: pulse?.snrDb ?? null,
  };

  // Screen replay.
  const moirePeak = median(
    frames.flatMap((frame) => (frame.moirePeak === undefined ? [] : [frame.moirePeak])),
  );
  const flatness = median(
    frames.flatMap((frame) => (frame.specularFlatness === undefined ? [] : [frame.specularFlatness])),
  );
  signals.moirePeak = moirePeak === null ? null : Math.round(moirePeak * 100) / 100;
  signals.specularFlatness = flatness === null ? null : Math.round(flatness * 1000) / 1000;
  checks.screenReplay = {
    passed: moirePeak === null || moirePeak < thresholds.maxMoirePeak,
    moirePeak: signals.moirePeak,
    specularFlatness: signals.specularFlatness,
  };

  // Descriptors: the best frontal frame (eyes open, closest to the neutral pose) and two
  // frames spread over the video, each on the worker that still holds it. The passive
  // anti-spoof/liveness models run on the frontal frame and the first of the others.
  const single = frames.filter((frame) => frame.faces.length === 1);
  const openEar = median(track.map((sample) => sample.ear)) ?? 0;
  const frontal = single
    .filter((frame) => (frame.faces[0]?.ear ?? 0) >= openEar * 0.9)
    .sort((a, b) => frontalness(a, neutral) - frontalness(b, neutral))[0];
  const spread = [1 / 4, 3 / 4]
    .map((share) =>
      single.reduce<FrameAnalysis | undefined>(
        (best, frame) =>
          !best || Math.abs(frame.timeMs - share * durationMs) < Math.abs(best.timeMs - share * durationMs)
            ? frame
            : best,
        undefined,
      ),
    )
    .filter((frame): frame is FrameAnalysis => frame !== undefined && frame.index !== frontal?.index);
  const describe = (frame: FrameAnalysis, passive: boolean) => {
    const worker = owners.get(frame.index);
    return worker
      ? pool.request<DescriptorResult>(worker, { type: 'descriptor', video, index: frame.index, passive })
      : Promise.resolve<DescriptorResult>({ descriptor: null, faces: 0 });
  };
  const [frontalDescriptor, ...spreadDescriptors] = await Promise.all([
    frontal ? describe(frontal, true) : Promise.resolve<DescriptorResult>({ descriptor: null, faces: 0 }),
    ...[...new Map(spread.map((frame) => [frame.index, frame])).values()].map((frame, k) =>
      describe(frame, k === 0),
    ),
  ]);
  if (frontal) {
    const face = frontal.faces[0] as FrameAnalysis['faces'][number];
    signals.bestFrontalFrame = {
      index: frontal.index,
      timeMs: Math.round(frontal.timeMs),
      yaw: Math.round(face.yaw * 10) / 10,
      pitch: Math.round(face.pitch * 10) / 10,
    };
  }
  if (frontal && signals.bestFrontalFrame && options.includeBestFrame) {
    const worker = owners.get(frontal.index);
    const jpeg = worker
      ? await pool.request<Uint8Array | null>(worker, { type: 'frame-jpeg', video, index: frontal.index })
      : null;
    if (jpeg) signals.bestFrontalFrame.jpeg = jpeg;
  }
  const reference = frontalDescriptor?.descriptor ?? null;
  const distances = reference
    ? spreadDescriptors.flatMap((result) =>
        result.descriptor ? [euclideanDistance(reference, result.descriptor)] : [],
      )
    : [];
  const identityDistance = distances.length ? Math.max(...distances) : null;
  signals.identityDistance = identityDistance === null ? null : Math.round(identityDistance * 1000) / 1000;
  checks.identity = {
    passed:
      reference !== null && (identityDistance === null || identityDistance <= thresholds.maxIdentityDistance),
    maxDistance: signals.identityDistance,
    framesCompared: distances.length + (reference ? 1 : 0),
  };
  const passive = [frontalDescriptor, ...spreadDescriptors].filter(
    (r): r is DescriptorResult => r !== undefined,
  );
  const mean = (values: number[]) =>
    values.length ? Math.round((values.reduce((s, v) => s + v, 0) / values.length) * 1000) / 1000 : null;
  signals.antispoof = mean(passive.flatMap((r) => (r.antispoof === undefined ? [] : [r.antispoof])));
  signals.liveness = mean(passive.flatMap((r) => (r.liveness === undefined ? [] : [r.liveness])));

  // Face match with the document portrait.
  let portraitFound = true;
  if (portrait) {
    const document = await portrait;
    portraitFound = document.descriptor !== null;
    const distance =
      document.descriptor && reference ? euclideanDistance(reference, document.descriptor) : null;
    signals.faceDistance = distance === null ? null : Math.round(distance * 1000) / 1000;
    signals.faceSimilarityScore =
      distance === null ? null : Math.round(distanceToSimilarity(distance) * 1000) / 1000;
    checks.faceMatch = {
      passed: distance !== null && distance <= thresholds.maxMatchDistance,
      distance: signals.faceDistance,
      faceSimilarityScore: signals.faceSimilarityScore,
    };
  }

  const failureCodes: LivenessFailureCode[] = [];
  if (!complete) failureCodes.push('VIDEO_CORRUPT');
  if (!longEnough) failureCodes.push('VIDEO_TOO_SHORT');
  if (!checks.facePresence.passed) failureCodes.push('FACE_NOT_FOUND');
  if (!checks.singleFace.passed) failureCodes.push('MULTIPLE_FACES');
  // Without a frame showing exactly one face there is nothing to compare: those checks fail,
  // but under the code that already names the cause.
  const faceCauseNamed = failureCodes.includes('FACE_NOT_FOUND') || failureCodes.includes('MULTIPLE_FACES');
  const comparable = reference !== null || !faceCauseNamed;
  if (!checks.identity.passed && comparable) failureCodes.push('IDENTITY_CHANGED');
  if (!checks.challenge.passed) failureCodes.push('CHALLENGE_NOT_PERFORMED');
  if (!checks.pulse.passed) failureCodes.push('PULSE_NOT_DETECTED');
  if (!checks.screenReplay.passed) failureCodes.push('SCREEN_REPLAY_SUSPECTED');
  if (checks.faceMatch && !checks.faceMatch.passed) {
    if (!portraitFound) failureCodes.push('DOCUMENT_FACE_NOT_FOUND');
    else if (comparable) failureCodes.push('FACE_MISMATCH');
  }
  return {
    passed: failureCodes.length === 0,
    failureCodes,
    checks,
    signals,
    timingMs: { decode: Math.round(decodeMs), total: Math.round(performance.now() - started) },
  };
}

function frontalness(frame: FrameAnalysis, neutral: { yaw: number; pitch: number }): number {
  const face = frame.faces[0];
  if (!face) return Number.POSITIVE_INFINITY;
  return Math.abs(face.yaw - neutral.yaw) + Math.abs(face.pitch - neutral.pitch) - face.score;
}

export type { ChallengeStep } from './challenge.js';
