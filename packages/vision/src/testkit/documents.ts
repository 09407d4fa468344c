/**
 * The generated identity documents of `test/documents/` (see `scripts/generate-documents.ts`)
 * and the forgeries the suites make from them: a portrait replaced and the card saved again.
 * Exported with the rest of `@trustplane/vision/testkit` for the services' tests.
 */
import fs from 'node:fs/promises';
import sharp from 'sharp';
import type { Degradation, DocumentSpec } from '../../scripts/documents.js';
import { loadFaceEngine } from '../faces/face-engine.js';
import { FACES_DIR } from './synthetic-video.js';

export const DOCUMENTS_DIR = new URL('../../test/documents/', import.meta.url);

export interface Box {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** Where the generator prints the portrait on a recto. */
export const PORTRAIT_BOXES: Record<'TD1' | 'TD3', Box> = {
  TD1: { left: 40, top: 130, width: 270, height: 350 },
  TD3: { left: 50, top: 150, width: 320, height: 410 },
};

/** One document of `manifest.json`, as `scripts/generate-documents.ts` writes it. */
export interface ManifestEntry {
  id: string;
  base: string;
  layout: 'TD1' | 'TD3';
  documentType: DocumentSpec['documentType'];
  variant: 'clean' | 'broken' | Degradation | 'spliced';
  portrait: string;
  /** Image files relative to the manifest; `mrz` names the side that carries the MRZ. */
  recto: string;
  verso?: string;
  mrzSide: 'recto' | 'verso';
  mrz: string[];
  expectValid: boolean;
  declared: DocumentSpec['declared'];
}

export async function readManifest(): Promise<ManifestEntry[]> {
  return JSON.parse(await fs.readFile(new URL('manifest.json', DOCUMENTS_DIR), 'utf8'));
}

export function readDocument(file: string): Promise<Buffer> {
  return fs.readFile(new URL(file, DOCUMENTS_DIR));
}

/**
 * A face fixture cropped around its face (1.9 face widths, face slightly above centre) to
 * `width` × `height`: the generator's portraits (a JPEG at sharp's default quality).
 */
export async function cropPortrait(file: string, width: number, height: number): Promise<Buffer> {
  const engine = await loadFaceEngine();
  const bytes = await fs.readFile(new URL(file, FACES_DIR));
  const [face] = await engine.detect(bytes);
  if (!face) throw new Error(`no face in ${file}`);
  const meta = await sharp(bytes).rotate().metadata();
  const cropWidth = Math.round(face.box.width * 1.9);
  const cropHeight = Math.round((cropWidth * height) / width);
  const left = Math.max(0, Math.round(face.box.x + face.box.width / 2 - cropWidth / 2));
  const top = Math.max(0, Math.round(face.box.y + face.box.height * 0.45 - cropHeight / 2));
  return sharp(bytes)
    .rotate()
    .extract({
      left,
      top,
      width: Math.min(cropWidth, (meta.width ?? 0) - left),
      height: Math.min(cropHeight, (meta.height ?? 0) - top),
    })
    .resize(width, height, { fit: 'cover' })
    .toBuffer();
}

export interface PortraitSwap {
  /** The genuine recto (JPEG bytes). */
  recto: Buffer;
  layout: 'TD1' | 'TD3';
  /** Face fixture pasted over the whole portrait box. */
  donor: string;
  /** The card as the forger had it: re-saved at this JPEG quality first (a phone capture, a scan); omitted: as is. */
  cardQuality?: number;
  /** The forgery's own save: a JPEG quality or lossless PNG. Default 92. */
  finalQuality?: number | 'png';
}

/** A document whose portrait was replaced with another face and saved again. */
export async function swapPortrait(swap: PortraitSwap): Promise<Buffer> {
  const box = PORTRAIT_BOXES[swap.layout];
  const card = swap.cardQuality
    ? await sharp(swap.recto).jpeg({ quality: swap.cardQuality }).toBuffer()
    : swap.recto;
  const face = await cropPortrait(swap.donor, box.width, box.height);
  const pasted = sharp(card).composite([{ input: face, left: box.left, top: box.top }]);
  const finalQuality = swap.finalQuality ?? 92;
  return finalQuality === 'png' ? pasted.png().toBuffer() : pasted.jpeg({ quality: finalQuality }).toBuffer();
}

/** The image saved again as a JPEG at each quality in turn, as apps re-save a capture. */
export async function resaved(bytes: Buffer, ...qualities: number[]): Promise<Buffer> {
  let current = bytes;
  for (const quality of qualities) current = await sharp(current).jpeg({ quality }).toBuffer();
  return current;
}
