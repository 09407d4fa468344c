// Catches captures the server will not be able to read before they are uploaded: blurry (low
// variance of the Laplacian), dark (low mean luminance) or glare-heavy (a large share of clipped
// highlights). Measured on a greyscale copy at most MEASURE_WIDTH wide. The server still judges
// every upload; this only saves the user a round trip.

export const MEASURE_WIDTH = 640;

export const THRESHOLDS = {
  /** Variance of the 4-neighbour Laplacian below this: out of focus or shaken. */
  minSharpness: 60,
  /** Mean luminance (0–255) below this: too dark to read. */
  minBrightness: 55,
  /** Share of pixels at ≥ 250 above this: a reflection hides part of the document. */
  maxClipped: 0.2,
} as const;

export type QualityProblem = 'blurry' | 'dark' | 'glare';

export interface Quality {
  sharpness: number;
  brightness: number;
  clipped: number;
  problems: QualityProblem[];
}

/** The measures of a greyscale image (one byte per pixel, row-major). */
export function measureGrey(grey: ArrayLike<number>, width: number, height: number): Quality {
  let sum = 0;
  let clipped = 0;
  for (let i = 0; i < width * height; i += 1) {
    const value = grey[i] ?? 0;
    sum += value;
    if (value >= 250) clipped += 1;
  }
  let lapSum = 0;
  let lapSquares = 0;
  let count = 0;
  for (let y = 1; y < height - 1; y += 1) {
    for (let x = 1; x < width - 1; x += 1) {
      const i = y * width + x;
      const lap =
        (grey[i - 1] ?? 0) +
        (grey[i + 1] ?? 0) +
        (grey[i - width] ?? 0) +
        (grey[i + width] ?? 0) -
        4 * (grey[i] ?? 0);
      lapSum += lap;
      lapSquares += lap * lap;
      count += 1;
    }
  }
  const pixels = Math.max(1, width * height);
  const mean = count ? lapSum / count : 0;
  const sharpness = count ? lapSquares / count - mean * mean : 0;
  const brightness = sum / pixels;
  const clippedShare = clipped / pixels;
  const problems: QualityProblem[] = [];
  if (sharpness < THRESHOLDS.minSharpness) problems.push('blurry');
  if (brightness < THRESHOLDS.minBrightness) problems.push('dark');
  if (clippedShare > THRESHOLDS.maxClipped) problems.push('glare');
  return {
    sharpness: Math.round(sharpness),
    brightness: Math.round(brightness),
    clipped: Math.round(clippedShare * 1000) / 1000,
    problems,
  };
}

/** Luma of RGBA pixels into a greyscale array. */
export function toGrey(rgba: ArrayLike<number>, pixels: number): Uint8ClampedArray {
  const grey = new Uint8ClampedArray(pixels);
  for (let p = 0; p < pixels; p += 1) {
    const i = p * 4;
    grey[p] = 0.299 * (rgba[i] ?? 0) + 0.587 * (rgba[i + 1] ?? 0) + 0.114 * (rgba[i + 2] ?? 0);
  }
  return grey;
}
