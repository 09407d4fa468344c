import { decodeGray, type FaceBox } from '@trustplane/vision';
import type { ForensicScore } from './document-analyzer.js';

/** Side of an ELA block and of one block in the heatmap `errorLevelAnalysis` draws. */
const ELA_BLOCK = 16;
const HEATMAP_CELL = 4;
/** The longest side `errorLevelAnalysis` works at. */
const ELA_MAX_SIDE = 1600;

export interface PortraitElaContrast {
  /** Median block error inside the portrait (its central part) and outside it. */
  inside: number;
  outside: number;
  contrast: number;
  /** 0 (portrait as fresh as the rest) – 1 (portrait much fresher: pasted after the last re-save). */
  score: number;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
};

/**
 * Localised Error Level Analysis around the document portrait. The whole-image ELA ratio of
 * `@trustplane/vision` cannot separate a genuine card (sharp text and guilloche next to flat
 * tints) from a forged one. What a portrait swap leaves is a *fresher* portrait: the card was
 * saved (often at lower quality) before the new face was pasted, so after the final save the
 * background has converged under repeated compression while the face was compressed only
 * once. We compare the median block error inside the portrait with the one outside. A genuine
 * card measured 1.1–2.9; a card re-saved or compressed hard but untouched stays under ~6 only
 * because its portrait errs as little as the rest (inside < 1.6); a pasted portrait measured
 * 6–11 with a fresh-looking inside (≥ 2). Both conditions must hold.
 */
export async function portraitElaContrast(
  ela: ForensicScore,
  face: FaceBox,
  image: { width: number; height: number },
): Promise<PortraitElaContrast> {
  const heat = await decodeGray(ela.heatmap);
  const peak = Math.max(Number(ela.details.p99_error ?? 1), 1);
  const scale = Math.min(1, ELA_MAX_SIDE / Math.max(image.width, image.height));
  const columns = Math.floor(heat.width / HEATMAP_CELL);
  const rows = Math.floor(heat.height / HEATMAP_CELL);
  // The central part of the box: its border mixes face and card.
  const margin = 0.15;
  const left = face.x + face.width * margin;
  const right = face.x + face.width * (1 - margin);
  const top = face.y + face.height * margin;
  const bottom = face.y + face.height * (1 - margin);
  const inside: number[] = [];
  const outside: number[] = [];
  for (let y = 0; y < rows; y += 1) {
    for (let x = 0; x < columns; x += 1) {
      const value = heat.data[y * HEATMAP_CELL * heat.width + x * HEATMAP_CELL] as number;
      const error = (value / 255) * peak;
      const px = (x * ELA_BLOCK + ELA_BLOCK / 2) / scale;
      const py = (y * ELA_BLOCK + ELA_BLOCK / 2) / scale;
      (px > left && px < right && py > top && py < bottom ? inside : outside).push(error);
    }
  }
  const insideError = median(inside);
  const outsideError = median(outside);
  const contrast = insideError / Math.max(outsideError, 0.25);
  const fresh = insideError >= 1.8;
  const score = fresh ? Math.max(0, Math.min(1, (contrast - 3) / 5)) : 0;
  return {
    inside: Math.round(insideError * 100) / 100,
    outside: Math.round(outsideError * 100) / 100,
    contrast: Math.round(contrast * 100) / 100,
    score: Math.round(score * 1000) / 1000,
  };
}
