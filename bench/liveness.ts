/**
 * Server-side liveness analysis of a 5 s 640×480 WebM (head turns, a blink, a 72 bpm pulse,
 * generated from a face fixture), next to the floor of the same run: ffmpeg decoding the same
 * file (`-f null`), and our decode alone (ffmpeg + 10 fps sampling + RGB frames piped to Node).
 * Target: analysis ≤ 3 s p50 on 2 cores.
 *
 *   npx tsx bench/liveness.ts [--runs 7]
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import {
  analyzeLivenessVideo,
  closeLivenessWorkers,
  defaultLivenessWorkers,
  livenessWorkerPool,
  loadFaceEngine,
} from '../packages/vision/src/index.js';
import { ffmpegPath } from '../packages/vision/src/liveness/ffmpeg.js';
import { decodeVideo } from '../packages/vision/src/liveness/video-decode.js';
import { FACES_DIR, generateVideo, LEFT_RIGHT_BLINK, LEFT_RIGHT_TURNS } from '@trustplane/vision/testkit';
import { numberArgument } from './support/arguments.js';

const RUNS = numberArgument('runs', 7);

const video = await generateVideo({
  fixture: 'obama_2012_oval_office_portrait.jpg',
  width: 640,
  height: 480,
  durationMs: 5000,
  yaw: LEFT_RIGHT_TURNS,
  blinks: [4000],
  pulseBpm: 72,
});
const portrait = await fs.readFile(new URL('obama_2009_joint_session.jpg', FACES_DIR));
const challenge = LEFT_RIGHT_BLINK;

function stats(samples: number[]): { p50: number; p95: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    p50: sorted[Math.floor(sorted.length / 2)] as number,
    p95: sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))] as number,
  };
}

async function ffmpegNullDecode(): Promise<number> {
  const started = performance.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(
      ffmpegPath(),
      ['-hide_banner', '-loglevel', 'error', '-i', video.path, '-f', 'null', '-'],
      {
        stdio: 'ignore',
      },
    );
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg exited ${code}`))));
  });
  return performance.now() - started;
}

const warmStarted = performance.now();
await livenessWorkerPool().warm();
const warmMs = performance.now() - warmStarted;

const floor: number[] = [];
const decodeOnly: number[] = [];
const analysis: number[] = [];
const cpu: number[] = [];
const withDescriptor: number[] = [];
// kyc's document analysis already holds the portrait's descriptor: the same analysis given it.
const documentDescriptor = (await loadFaceEngine().then((engine) => engine.detect(portrait)))[0]?.descriptor;
let last: Awaited<ReturnType<typeof analyzeLivenessVideo>> | undefined;
await analyzeLivenessVideo(video.path, { challenge: [...challenge], documentPortrait: portrait });
for (let run = 0; run < RUNS; run += 1) {
  floor.push(await ffmpegNullDecode());
  let started = performance.now();
  await decodeVideo(video.path, {
    sampleRate: 10,
    maxSide: 480,
    keepFrames: false,
    onFrame: () => undefined,
  });
  decodeOnly.push(performance.now() - started);
  const cpuStart = process.cpuUsage();
  started = performance.now();
  last = await analyzeLivenessVideo(video.path, { challenge: [...challenge], documentPortrait: portrait });
  analysis.push(performance.now() - started);
  const used = process.cpuUsage(cpuStart);
  cpu.push((used.user + used.system) / 1000);
  started = performance.now();
  await analyzeLivenessVideo(video.path, {
    challenge: [...challenge],
    ...(documentDescriptor ? { documentDescriptor } : {}),
  });
  withDescriptor.push(performance.now() - started);
}
await closeLivenessWorkers();
await fs.rm(video.path, { force: true });

const a = stats(analysis);
const f = stats(floor);
const d = stats(decodeOnly);
console.log(
  `machine: ${os.availableParallelism()} cores, load average ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
console.log(
  `worker start-up (models loaded in ${defaultLivenessWorkers()} workers): ${warmMs.toFixed(0)} ms, once per process`,
);
console.log(
  `floor: ffmpeg decode of the same file      p50 ${f.p50.toFixed(0)} ms, p95 ${f.p95.toFixed(0)} ms`,
);
console.log(
  `our decode (10 fps, ≤ 480 px, RGB to Node) p50 ${d.p50.toFixed(0)} ms, p95 ${d.p95.toFixed(0)} ms`,
);
console.log(
  `liveness analysis (${last?.signals.framesAnalysed} frames)          p50 ${a.p50.toFixed(0)} ms, p95 ${a.p95.toFixed(0)} ms, ` +
    `CPU ${stats(cpu).p50.toFixed(0)} ms (all threads of this process; ffmpeg not counted)`,
);
console.log(
  `  the same, given the portrait's descriptor   p50 ${stats(withDescriptor).p50.toFixed(0)} ms, p95 ${stats(withDescriptor).p95.toFixed(0)} ms`,
);
console.log(
  `analysis = ${(a.p50 / f.p50).toFixed(1)}× the ffmpeg floor; target ≤ 3000 ms p50: ${a.p50 <= 3000 ? 'met' : 'NOT met'}; verdict ${last?.passed ? 'pass' : `fail ${last?.failureCodes.join(',')}`}`,
);
