import { spawn } from 'node:child_process';
import { ffmpegPath } from './ffmpeg.js';

/** A decoded video frame: 8-bit interleaved RGB and its presentation time from the container. */
export interface VideoFrame {
  data: Uint8Array;
  width: number;
  height: number;
  /** Presentation timestamp in milliseconds, from the container (not assumed from a nominal rate). */
  timeMs: number;
}

export interface DecodeVideoOptions {
  /**
   * At most this many frames per second are kept: a frame is dropped when it comes less than
   * 1/rate after the previous kept frame. Timestamps stay the container's. Default 15.
   */
  sampleRate?: number;
  /** Frames are scaled down (never up) to fit this many pixels on their longest side. Default 640. */
  maxSide?: number;
  /** Only the first `maxDurationMs` of the video are decoded. Default 30 s. */
  maxDurationMs?: number;
  /**
   * Hard stop for the ffmpeg process: this many ms of decoding, not counting the time `onFrame`'s
   * backlog holds it paused (a busy host analysing frames slowly must not turn a good video into
   * an unreadable one), and never more than `WALL_CLOCK_FACTOR` times it in all. Default 60 s.
   */
  timeoutMs?: number;
  /**
   * Called for each frame as soon as it is decoded (lets analysis overlap decoding), one call
   * at a time; decoding pauses while more than a few calls are waiting.
   */
  onFrame?: (frame: VideoFrame, index: number) => void | Promise<void>;
  /** Keep the frames in the result. Default: only when there is no `onFrame`. */
  keepFrames?: boolean;
}

export interface DecodedVideo {
  /** The frames (empty when `keepFrames` is false). */
  frames: VideoFrame[];
  /** Frames decoded. */
  frameCount: number;
  /** Timestamps (ms) of every decoded frame. */
  timesMs: number[];
  /** Container/codec as ffmpeg reports them, e.g. `matroska,webm` / `vp8`. */
  container?: string;
  codec?: string;
  /** Source frame size before scaling. */
  sourceWidth?: number;
  sourceHeight?: number;
  /** ffmpeg reported decode errors (a truncated or damaged stream). */
  streamErrors: string[];
  exitCode: number | null;
}

export class VideoDecodeError extends Error {
  override readonly name = 'VideoDecodeError';
  constructor(
    readonly code: 'unreadable' | 'timeout',
    message: string,
  ) {
    super(message);
  }
}

/** Demuxers allowed: WebM/Matroska (MediaRecorder in Chromium and Firefox) and MP4/QuickTime (Safari, phones). */
export const VIDEO_FORMATS = 'matroska,webm,mov,mp4,m4a,3gp,3g2,mj2';
/** Decoders allowed: what those recorders produce. */
export const VIDEO_CODECS = 'vp8,vp9,h264,hevc,av1,libaom-av1';

const INPUT = /Input #0, ([^,]+(?:,[^,\s]+)*), from/;
const DIMENSIONS = /\b(\d{2,5})x(\d{2,5})\b/;

/**
 * The value after ` key:` in an ffmpeg log line (`pts_time:1.23`), read with `indexOf` rather
 * than a lazy-quantifier regex: the lines echo stream metadata, so they are client-influenced.
 */
function fieldAfter(line: string, key: string): string | undefined {
  let at = line.indexOf(` ${key}:`);
  if (at < 0) return undefined;
  at += key.length + 2;
  while (line[at] === ' ') at += 1;
  let end = at;
  while (end < line.length && line[end] !== ' ') end += 1;
  return end > at ? line.slice(at, end) : undefined;
}

/** `[Parsed_showinfo_2 @ 0x…] n:   3 pts: … pts_time:0.2 … s:640x480 …` → time and frame size. */
export function parseShowinfoLine(
  line: string,
): { time: number; width?: number; height?: number } | undefined {
  if (!line.includes('[Parsed_showinfo')) return undefined;
  const frame = fieldAfter(line, 'n');
  const time = fieldAfter(line, 'pts_time');
  if (frame === undefined || !/^\d+$/.test(frame) || time === undefined || !/^-?[\d.]+$/.test(time))
    return undefined;
  const size = fieldAfter(line, 's');
  const dimensions = size ? /^(\d+)x(\d+)$/.exec(size) : null;
  return dimensions
    ? { time: Number(time), width: Number(dimensions[1]), height: Number(dimensions[2]) }
    : { time: Number(time) };
}

/** `Stream #0:0…: Video: vp8 (…), yuv420p, 640x480, …` → codec and source size. */
export function parseVideoStreamLine(
  line: string,
): { codec: string; width: number; height: number } | undefined {
  if (!line.includes('Stream #0:')) return undefined;
  const at = line.indexOf(': Video: ');
  if (at < 0) return undefined;
  const rest = line.slice(at + ': Video: '.length);
  const codec = /^\w+/.exec(rest)?.[0];
  const dimensions = DIMENSIONS.exec(rest);
  if (!codec || !dimensions) return undefined;
  return { codec, width: Number(dimensions[1]), height: Number(dimensions[2]) };
}

/** A decode is stopped after this many times its `timeoutMs` in wall-clock time, paused or not. */
const WALL_CLOCK_FACTOR = 5;

/**
 * Decodes a video file with ffmpeg into RGB frames with their container timestamps.
 * Frames are selected in ffmpeg (`select` on the real timestamps, `-vsync passthrough`), so the
 * kept frames carry their own presentation times: a variable-rate recording (MediaRecorder's
 * WebM) is analysed on its true time axis. Decoding errors are collected, not thrown; a file
 * ffmpeg cannot open at all raises `VideoDecodeError('unreadable')`.
 */
export async function decodeVideo(filePath: string, options: DecodeVideoOptions = {}): Promise<DecodedVideo> {
  const sampleRate = options.sampleRate ?? 15;
  const maxSide = options.maxSide ?? 640;
  const maxDurationS = (options.maxDurationMs ?? 30_000) / 1000;
  const minGap = (1 / sampleRate) * 0.9;
  const filters = [
    `select='isnan(prev_selected_t)+gte(t-prev_selected_t\\,${minGap.toFixed(4)})'`,
    `scale=w='min(${maxSide}\\,iw)':h='min(${maxSide}\\,ih)':force_original_aspect_ratio=decrease`,
    'showinfo',
  ].join(',');
  const args = [
    '-hide_banner',
    '-nostdin',
    '-loglevel',
    'level+info',
    '-threads',
    '1',
    // Untrusted input: only local-file reads, only the containers and codecs browsers record
    // (a playlist or concat file posing as a video could otherwise make ffmpeg fetch URLs or
    // read other files).
    '-protocol_whitelist',
    'file',
    '-format_whitelist',
    VIDEO_FORMATS,
    '-codec_whitelist',
    VIDEO_CODECS,
    '-i',
    filePath,
    '-t',
    String(maxDurationS),
    '-an',
    '-sn',
    '-dn',
    '-vf',
    filters,
    '-vsync',
    'passthrough',
    '-pix_fmt',
    'rgb24',
    '-f',
    'rawvideo',
    'pipe:1',
  ];
  const child = spawn(ffmpegPath(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const result: DecodedVideo = { frames: [], frameCount: 0, timesMs: [], streamErrors: [], exitCode: null };
  const keepFrames = options.keepFrames ?? !options.onFrame;
  let backlog = 0;
  const times: number[] = [];
  let size: { width: number; height: number } | undefined;
  const pending: Buffer[] = [];
  let pendingBytes = 0;
  let stderrTail = '';
  let stderrAll = '';
  let frameWork: Promise<void> = Promise.resolve();
  const startedAt = Date.now();
  /** Time the consumer held decoding paused: not decoding time. */
  let pausedMs = 0;
  let pausedAt: number | undefined;

  /** Copies the next `length` bytes out of the queued chunks (each byte is copied once). */
  const take = (length: number): Uint8Array => {
    const out = new Uint8Array(length);
    let filled = 0;
    while (filled < length) {
      const chunk = pending[0] as Buffer;
      const count = Math.min(length - filled, chunk.length);
      out.set(chunk.subarray(0, count), filled);
      filled += count;
      if (count === chunk.length) pending.shift();
      else pending[0] = chunk.subarray(count);
    }
    pendingBytes -= length;
    return out;
  };

  const emitFrames = () => {
    if (!size) return;
    const frameBytes = size.width * size.height * 3;
    // stderr's timestamps can lag stdout's pixels: a frame is emitted once both are there.
    while (pendingBytes >= frameBytes && times.length > result.frameCount) {
      const index = result.frameCount;
      const frame: VideoFrame = {
        data: take(frameBytes),
        width: size.width,
        height: size.height,
        timeMs: (times[index] as number) * 1000,
      };
      result.frameCount += 1;
      result.timesMs.push(frame.timeMs);
      if (keepFrames) result.frames.push(frame);
      if (options.onFrame) {
        const onFrame = options.onFrame;
        backlog += 1;
        if (backlog > 4 && pausedAt === undefined) {
          child.stdout.pause();
          pausedAt = Date.now();
        }
        frameWork = frameWork
          .then(() => onFrame(frame, index))
          .finally(() => {
            backlog -= 1;
            if (backlog <= 2 && pausedAt !== undefined) {
              pausedMs += Date.now() - pausedAt;
              pausedAt = undefined;
              child.stdout.resume();
            }
          });
      }
    }
  };

  child.stdout.on('data', (chunk: Buffer) => {
    pending.push(chunk);
    pendingBytes += chunk.length;
    emitFrames();
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    if (stderrAll.length < 200_000) stderrAll += chunk;
    const lines = (stderrTail + chunk).split('\n');
    stderrTail = lines.pop() ?? '';
    for (const line of lines) parseLine(line);
    emitFrames();
  });

  function parseLine(line: string) {
    const info = parseShowinfoLine(line);
    if (info) {
      times.push(info.time);
      if (!size && info.width && info.height) size = { width: info.width, height: info.height };
      return;
    }
    if (!result.container) {
      const input = INPUT.exec(line);
      if (input) result.container = input[1];
    }
    if (!result.codec) {
      const stream = parseVideoStreamLine(line);
      if (stream) {
        result.codec = stream.codec;
        result.sourceWidth = stream.width;
        result.sourceHeight = stream.height;
      }
    }
    if (/^\[(?:[^\]]*\]\s*\[)?(error|fatal)\]/.test(line) || /\[(error|fatal)\]/.test(line))
      result.streamErrors.push(line.replace(/\s+/g, ' ').slice(0, 200));
  }

  const timeoutMs = options.timeoutMs ?? 60_000;
  const timeout = setInterval(
    () => {
      const now = Date.now();
      const decodingMs = now - startedAt - pausedMs - (pausedAt === undefined ? 0 : now - pausedAt);
      if (decodingMs > timeoutMs || now - startedAt > timeoutMs * WALL_CLOCK_FACTOR) child.kill('SIGKILL');
    },
    Math.min(250, timeoutMs),
  );
  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(
    (resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) => resolve({ code, signal }));
    },
  ).finally(() => clearInterval(timeout));
  if (stderrTail) parseLine(stderrTail);
  emitFrames();
  await frameWork;
  result.exitCode = exit.code;
  if (exit.signal === 'SIGKILL') throw new VideoDecodeError('timeout', 'video decoding took too long');
  if (result.frameCount === 0) {
    const reason = result.streamErrors.at(-1) ?? stderrAll.trim().split('\n').at(-1) ?? 'no frames';
    throw new VideoDecodeError('unreadable', `no video frame could be decoded (${reason.slice(0, 160)})`);
  }
  return result;
}
