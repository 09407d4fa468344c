import FFT from 'fft.js';
import sharp, { type Sharp } from 'sharp';
import { openImage, withImageDecodeSlot } from '../images/decode.js';
import {
  type DocumentRaster,
  isDocumentRaster,
  isFullResolution,
  rasterToSharp,
} from '../images/document-raster.js';
import type { ForensicResult } from './ela.js';

const SIZE = 256;

export interface MoireSpectrum {
  /** Strongest mid/high-frequency log-power above its ring's median. */
  peak: number;
  peakRadius: number;
  /** Per-bin excess over the ring median (for the heatmap). */
  excess: Float64Array;
}

/**
 * The spectral measure behind `moireAnalysis`, on a 256×256 8-bit grey patch (also used on
 * video frames, where the patch is taken around the face at full resolution).
 */
export function moireSpectrum(data: Uint8Array): MoireSpectrum {
  const window = new Float64Array(SIZE);
  for (let index = 0; index < SIZE; index += 1)
    window[index] = 0.5 - 0.5 * Math.cos((2 * Math.PI * index) / (SIZE - 1));
  let mean = 0;
  for (const value of data) mean += value;
  mean /= data.length;
  const fft = new FFT(SIZE);
  const rows: number[][] = [];
  const input = new Array<number>(SIZE);
  for (let y = 0; y < SIZE; y += 1) {
    for (let x = 0; x < SIZE; x += 1)
      input[x] = ((data[y * SIZE + x] as number) - mean) * (window[x] as number) * (window[y] as number);
    const out = fft.createComplexArray() as number[];
    fft.realTransform(out, input);
    fft.completeSpectrum(out);
    rows.push(out);
  }
  const power = new Float64Array(SIZE * SIZE);
  const column = fft.createComplexArray() as number[];
  const result = fft.createComplexArray() as number[];
  for (let x = 0; x < SIZE; x += 1) {
    for (let y = 0; y < SIZE; y += 1) {
      column[2 * y] = (rows[y] as number[])[2 * x] as number;
      column[2 * y + 1] = (rows[y] as number[])[2 * x + 1] as number;
    }
    fft.transform(result, column);
    for (let y = 0; y < SIZE; y += 1) {
      const re = result[2 * y] as number;
      const im = result[2 * y + 1] as number;
      // Shift so that zero frequency is at the centre.
      const sx = (x + SIZE / 2) % SIZE;
      const sy = (y + SIZE / 2) % SIZE;
      power[sy * SIZE + sx] = Math.log1p(re * re + im * im);
    }
  }
  const centre = SIZE / 2;
  const rings = new Map<number, number[]>();
  for (let y = 0; y < SIZE; y += 1) {
    for (let x = 0; x < SIZE; x += 1) {
      const radius = Math.round(Math.hypot(x - centre, y - centre));
      if (radius < 1 || radius >= centre) continue;
      let ring = rings.get(radius);
      if (!ring) {
        ring = [];
        rings.set(radius, ring);
      }
      ring.push(power[y * SIZE + x] as number);
    }
  }
  const ringMedian = new Map<number, number>();
  for (const [radius, values] of rings)
    ringMedian.set(radius, values.sort((a, b) => a - b)[Math.floor(values.length / 2)] as number);
  let peak = 0;
  let peakRadius = 0;
  const excess = new Float64Array(SIZE * SIZE);
  for (let y = 0; y < SIZE; y += 1) {
    for (let x = 0; x < SIZE; x += 1) {
      const radius = Math.round(Math.hypot(x - centre, y - centre));
      const median = ringMedian.get(radius);
      if (median === undefined) continue;
      const value = (power[y * SIZE + x] as number) - median;
      excess[y * SIZE + x] = Math.max(0, value);
      // Mid/high band only: text strokes and document layout live at low frequencies.
      if (radius >= SIZE / 8 && value > peak) {
        peak = value;
        peakRadius = radius;
      }
    }
  }
  return { peak, peakRadius, excess };
}

export const MOIRE_PATCH_SIZE = SIZE;

/** The central 512² region (or the largest centred square) at 256², grey. */
function centrePatch(pipeline: Sharp, width: number, height: number): Promise<Uint8Array> {
  const crop = Math.min(width, height, 512);
  return withImageDecodeSlot(() =>
    pipeline
      .extract({
        left: Math.floor((width - crop) / 2),
        top: Math.floor((height - crop) / 2),
        width: crop,
        height: crop,
      })
      .resize(SIZE, SIZE, { kernel: 'cubic' })
      .grayscale()
      .extractChannel(0)
      .raw()
      .toBuffer(),
  );
}

async function patchOfBytes(image: Uint8Array): Promise<Uint8Array> {
  const metadata = await withImageDecodeSlot(() => openImage(image).rotate().metadata());
  const width = metadata.autoOrient?.width ?? metadata.width ?? SIZE;
  const height = metadata.autoOrient?.height ?? metadata.height ?? SIZE;
  return centrePatch(openImage(image).rotate(), width, height);
}

/**
 * Screen-recapture (moiré) detection. A photographed screen carries a fine periodic
 * pattern from the pixel grid: in the 2-D power spectrum it is an isolated, strong peak
 * at mid/high frequency, far above the smooth 1/f falloff of natural images and print.
 * We take the central 512×512 region at half scale (256²), window it (Hann), and compare the
 * strongest mid/high-frequency peak with the median power of its frequency ring.
 */
export async function moireAnalysis(image: Uint8Array | DocumentRaster): Promise<ForensicResult> {
  // The grid of a screen is measured at the source's resolution: a scaled-down raster would blur it.
  const data =
    isDocumentRaster(image) && isFullResolution(image)
      ? await centrePatch(rasterToSharp(image), image.width, image.height)
      : await patchOfBytes(isDocumentRaster(image) ? image.encoded : image);
  const { peak, peakRadius, excess } = moireSpectrum(data);
  // Measured: photos, prints and clean/degraded documents ≤ 5.4 (log-power above the ring
  // median); photographed-screen variants 11–12.5. Score 0 at 6, 1 at 10.
  const score = Math.max(0, Math.min(1, (peak - 6) / 4));
  const heat = Buffer.alloc(SIZE * SIZE);
  const top = Math.max(peak, 1);
  for (let index = 0; index < heat.length; index += 1)
    heat[index] = Math.min(255, Math.round(((excess[index] as number) / top) * 255));
  const heatmap = await withImageDecodeSlot(() =>
    sharp(heat, { raw: { width: SIZE, height: SIZE, channels: 1 } })
      .png()
      .toBuffer(),
  );
  return {
    score: Math.round(score * 1000) / 1000,
    heatmap,
    details: { peak_excess: Math.round(peak * 100) / 100, peak_radius: peakRadius },
  };
}
