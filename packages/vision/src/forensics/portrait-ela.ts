import type { FaceBox } from '../faces/face-engine.js';
import type { ElaResult } from './ela.js';

export interface PortraitElaContrast {
  /** Median block error inside the portrait (its central part) and outside it. */
  inside: number;
  outside: number;
  contrast: number;
  /** 0 (portrait as fresh as the rest) – 1 (portrait much fresher: pasted after the last re-save). */
  score: number;
}

/** The central part of a face box (its border mixes face and card). */
export const PORTRAIT_CORE_MARGIN = 0.15;

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
};

const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;

/**
 * Error Level Analysis localised to the document portrait, from the block errors of one
 * `errorLevelAnalysis` (q90). The whole-image ratio cannot separate a genuine card (sharp text and
 * guilloche next to flat tints) from a forged one. What a portrait swap onto a card compressed hard
 * before leaves is a *fresher* portrait: the background has converged under the earlier, coarser
 * compression while the face was compressed once. We compare the median block error inside the
 * portrait with the one outside. Measured (kyc, q90): genuine cards 1.1–2.9, genuine cards
 * re-saved at q60–q85 up to 6.8 but with a portrait that errs little (inside < 1.8); a face pasted
 * onto a card saved at q55–q60 and saved again at q92: 6.6–11 with a fresh inside (≥ 2). Both
 * conditions must hold. `portraitCompressionGhost` generalises this to any earlier quality.
 */
export function portraitElaContrast(ela: ElaResult, face: FaceBox): PortraitElaContrast {
  const { block, columns, rows, scale, errors } = ela.grid;
  const left = face.x + face.width * PORTRAIT_CORE_MARGIN;
  const right = face.x + face.width * (1 - PORTRAIT_CORE_MARGIN);
  const top = face.y + face.height * PORTRAIT_CORE_MARGIN;
  const bottom = face.y + face.height * (1 - PORTRAIT_CORE_MARGIN);
  const inside: number[] = [];
  const outside: number[] = [];
  for (let y = 0; y < rows; y += 1) {
    for (let x = 0; x < columns; x += 1) {
      // Block centre, in pixels of the input.
      const px = (x * block + block / 2) / scale;
      const py = (y * block + block / 2) / scale;
      const error = errors[y * columns + x] as number;
      (px > left && px < right && py > top && py < bottom ? inside : outside).push(error);
    }
  }
  const insideError = median(inside);
  const outsideError = median(outside);
  const contrast = insideError / Math.max(outsideError, 0.25);
  const fresh = insideError >= 1.8;
  const score = fresh ? Math.max(0, Math.min(1, (contrast - 3) / 5)) : 0;
  return {
    inside: round(insideError, 2),
    outside: round(outsideError, 2),
    contrast: round(contrast, 2),
    score: round(score, 3),
  };
}
