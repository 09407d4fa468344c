/**
 * ELA and moiré cost on a 1600×1000 JPEG (the budget: ELA ≤ 100 ms, FFT ≤ 200 ms),
 * next to a baseline of simply decoding the same JPEG to raw pixels with sharp.
 *
 *   npx tsx bench/biometry-forensics.ts [--runs 20]
 */
import fs from 'node:fs/promises';
import sharp from 'sharp';
import { errorLevelAnalysis, moireAnalysis } from '../packages/vision/src/index.js';
import { numberArgument } from './support/arguments.js';

const RUNS = numberArgument('runs', 20);
const source = await fs.readFile(
  new URL('../packages/vision/test/documents/td3-fra-martin-recto.jpg', import.meta.url),
);
const image = await sharp(source).resize(1600, 1000, { fit: 'fill' }).jpeg({ quality: 90 }).toBuffer();

async function time(label: string, work: () => Promise<unknown>): Promise<number> {
  await work();
  const samples: number[] = [];
  for (let run = 0; run < RUNS; run += 1) {
    const started = performance.now();
    await work();
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  const median = samples[Math.floor(samples.length / 2)] as number;
  console.log(
    `${label.padEnd(28)} median ${median.toFixed(1)} ms, p95 ${(samples[Math.floor(samples.length * 0.95)] as number).toFixed(1)} ms`,
  );
  return median;
}

const decode = await time('baseline: sharp decode', () => sharp(image).raw().toBuffer());
const ela = await time('ELA (q90, 16×16 blocks)', () => errorLevelAnalysis(image));
const moire = await time('moiré (256² FFT)', () => moireAnalysis(image));
console.log(
  `ELA = ${(ela / decode).toFixed(1)}× a decode (budget 100 ms); moiré = ${(moire / decode).toFixed(1)}× a decode (budget 200 ms)`,
);
