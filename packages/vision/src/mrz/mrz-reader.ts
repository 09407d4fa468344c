import { parse } from 'mrz';
import {
  binarize,
  cropGray,
  decodeGray,
  estimateSkew,
  type GrayImage,
  grayToSharp,
  medianGray,
  rotateGray,
} from '../images/grayscale.js';
import type { DocumentRaster } from '../images/document-raster.js';
import { reclassifyLookalikes } from './glyph-classifier.js';
import { type Correction, correctMrz, detectFormat, MRZ_FORMATS, type MrzFormatName } from './correct.js';
import { OCR_BUDGET_MS, type OcrBudget, type OcrLine, type OcrPool, OcrTimeoutError } from './ocr-pool.js';
import { measureTextStructure, type TextBand } from './text-structure.js';

export interface MrzFields {
  documentCode: string | null;
  issuingState: string | null;
  documentNumber: string | null;
  lastName: string | null;
  firstName: string | null;
  nationality: string | null;
  /** `YYMMDD` as printed. */
  birthDate: string | null;
  sex: 'male' | 'female' | 'nonspecified' | null;
  /** `YYMMDD` as printed. */
  expirationDate: string | null;
}

export interface MrzReading {
  found: boolean;
  format: MrzFormatName | null;
  /** The lines after correction (what was parsed). */
  lines: string[];
  /** The lines as OCR read them. */
  rawLines: string[];
  corrections: Correction[];
  /** Every check digit holds and every field is well formed. */
  valid: boolean;
  /** Labels of the fields or check digits that failed. */
  invalidFields: string[];
  fields: MrzFields;
  /** Mean OCR confidence of the MRZ characters, 0–1. */
  confidence: number;
  skewDegrees: number;
  /** Look-alikes re-read against the OCR-B shapes. */
  glyphChanges: number;
  /** What the OCR did for this image (see the README's "Bounded OCR"). */
  ocr: MrzOcrReport;
}

export interface MrzOcrReport {
  /** Passes OCR ran (each on the band of text rows its image holds). */
  passes: number;
  /** Passes refused before OCR: their image holds no stack of text rows an MRZ could be. */
  skipped: number;
  /** The image's OCR budget ran out: the reading stopped there (`found: false` unless an earlier pass found lines). */
  timedOut: boolean;
}

const EMPTY_FIELDS: MrzFields = {
  documentCode: null,
  issuingState: null,
  documentNumber: null,
  lastName: null,
  firstName: null,
  nationality: null,
  birthDate: null,
  sex: null,
  expirationDate: null,
};

/** Normalises a line to `length` characters by growing or shrinking its longest `<` run (OCR drops or adds fillers). */
export function fitLength(line: string, length: number): string {
  if (line.length === length) return line;
  const runs = [...line.matchAll(/<+/g)];
  if (runs.length) {
    const longest = runs.reduce((best, run) => (run[0].length > best[0].length ? run : best));
    const start = longest.index ?? 0;
    const delta = length - line.length;
    const run = longest[0].length + delta;
    if (run >= 1) return `${line.slice(0, start)}${'<'.repeat(run)}${line.slice(start + longest[0].length)}`;
  }
  return line.length > length ? line.slice(0, length) : line.padEnd(length, '<');
}

interface Candidate {
  format: MrzFormatName;
  lines: OcrLine[];
}

/** The MRZ among OCR lines: the last run of 2 or 3 consecutive lines of an MRZ's length. */
function findMrzLines(ocr: OcrLine[]): Candidate | undefined {
  const lines = ocr
    .map((line) => ({ ...line, text: line.text.replace(/\s+/g, '') }))
    .filter((line) => line.text.length >= 20);
  const fits = (line: OcrLine, length: number) =>
    Math.abs(line.text.length - length) <= 3 && line.text.includes('<');
  for (let end = lines.length; end >= 2; end -= 1) {
    for (const format of ['TD3', 'TD2', 'TD1'] as const) {
      const spec = MRZ_FORMATS[format];
      const group = lines.slice(end - spec.lines, end);
      if (group.length !== spec.lines) continue;
      if (
        group.every((line) => Math.abs(line.text.length - spec.length) <= 3) &&
        group.some((line) => fits(line, spec.length))
      )
        return { format, lines: group };
    }
  }
  return undefined;
}

const SEX = { male: 'male', female: 'female', nonspecified: 'nonspecified' } as const;

function interpret(candidate: Candidate, skewDegrees: number): MrzReading {
  const spec = MRZ_FORMATS[candidate.format];
  const rawLines = candidate.lines.map((line) => line.text);
  const fitted = rawLines.map((line) => fitLength(line, spec.length));
  const format = detectFormat(fitted) ?? candidate.format;
  const corrected = correctMrz(fitted, format);
  const symbols = candidate.lines.flatMap((line) => line.symbols);
  const confidence = symbols.length
    ? symbols.reduce((sum, symbol) => sum + symbol.confidence, 0) / symbols.length / 100
    : 0;
  let fields = EMPTY_FIELDS;
  let valid = false;
  let invalidFields: string[] = [];
  try {
    const parsed = parse(corrected.lines);
    valid = parsed.valid && corrected.checksPass;
    invalidFields = parsed.details.filter((detail) => !detail.valid).map((detail) => detail.label);
    const value = (name: keyof typeof parsed.fields) => parsed.fields[name] ?? null;
    const sex = value('sex');
    fields = {
      documentCode: value('documentCode'),
      issuingState: value('issuingState'),
      documentNumber: value('documentNumber'),
      lastName: value('lastName'),
      firstName: value('firstName'),
      nationality: value('nationality'),
      birthDate: value('birthDate'),
      sex: sex && sex in SEX ? SEX[sex as keyof typeof SEX] : null,
      expirationDate: value('expirationDate'),
    };
  } catch (error) {
    invalidFields = [(error as Error).message];
  }
  return {
    found: true,
    format,
    lines: corrected.lines,
    rawLines,
    corrections: corrected.corrections,
    valid,
    invalidFields,
    fields,
    confidence: Math.round(confidence * 1000) / 1000,
    skewDegrees,
    glyphChanges: 0,
    ocr: { passes: 0, skipped: 0, timedOut: false },
  };
}

/** The band of an image (the rows an MRZ could be), as its own image. */
function extractBand(image: GrayImage, band: TextBand): GrayImage {
  const data = new Uint8Array(band.width * band.height);
  for (let y = 0; y < band.height; y += 1) {
    const from = (band.top + y) * image.width + band.left;
    data.set(image.data.subarray(from, from + band.width), y * band.width);
  }
  return { data, width: band.width, height: band.height };
}

async function toPng(image: GrayImage): Promise<Buffer> {
  return grayToSharp(image).png().toBuffer();
}

export interface ReadMrzOptions {
  /** Width the image is normalised to before OCR. Default 1400. */
  width?: number;
  /** OCR this image may take over all its passes, ms of CPU (see `OCR_BUDGET_MS`). Default `OCR_BUDGET_MS`. */
  ocrBudgetMs?: number;
}

/**
 * Reads the MRZ of a document image: deskew, crop the lower half (where ICAO puts the MRZ),
 * binarise (Otsu), OCR with the MRZ alphabet, correct look-alikes, parse and check every
 * check digit. Falls back to a median-filtered crop, the unbinarised crop, then the whole page,
 * when a pass finds no valid MRZ. A pass whose image holds no stack of text rows is skipped
 * without OCR, and OCR reads only the band of those rows; all passes share one CPU budget
 * (`ocrBudgetMs`), past which the reading stops as unreadable (`ocr.timedOut`), never throws.
 */
export async function readMrz(
  pool: OcrPool,
  image: Uint8Array | DocumentRaster,
  options: ReadMrzOptions = {},
): Promise<MrzReading> {
  let gray = await decodeGray(image, options.width ?? 1400);
  const correction = await estimateSkew(gray);
  const skewDegrees = correction === 0 ? 0 : -correction;
  if (correction !== 0) gray = await rotateGray(gray, correction);
  const lowerHalf = cropGray(gray, Math.round(gray.height * 0.5), gray.height);
  const attempts = [
    async () => binarize(lowerHalf),
    async () => binarize(await medianGray(lowerHalf, 5)),
    async () => lowerHalf,
    async () => binarize(gray),
  ];
  let best: MrzReading | undefined;
  const report: MrzOcrReport = { passes: 0, skipped: 0, timedOut: false };
  const budget: OcrBudget = { remainingMs: options.ocrBudgetMs ?? OCR_BUDGET_MS };
  for (const attempt of attempts) {
    const image = await attempt();
    const binary = binarize(image);
    // Noise, photos and blank pages hold no rows of glyphs: OCR would find nothing, at any cost.
    const { band } = measureTextStructure(binary);
    if (!band) {
      report.skipped += 1;
      continue;
    }
    if (budget.remainingMs <= 0) {
      report.timedOut = true;
      break;
    }
    report.passes += 1;
    let ocrLines: OcrLine[];
    try {
      ocrLines = await pool.recognize(await toPng(extractBand(image, band)), { budget });
    } catch (error) {
      if (!(error instanceof OcrTimeoutError)) throw error;
      report.timedOut = true;
      break;
    }
    const found = findMrzLines(ocrLines);
    if (!found) continue;
    const { lines, changes } = await reclassifyLookalikes(extractBand(binary, band), found.lines);
    const candidate = { format: found.format, lines };
    const reading = interpret(candidate, skewDegrees);
    reading.glyphChanges = changes.length;
    reading.ocr = report;
    if (reading.valid) return reading;
    if (!best || reading.invalidFields.length < best.invalidFields.length) best = reading;
  }
  if (best) return { ...best, ocr: report };
  return {
    found: false,
    format: null,
    lines: [],
    rawLines: [],
    corrections: [],
    valid: false,
    invalidFields: [],
    fields: EMPTY_FIELDS,
    confidence: 0,
    skewDegrees,
    glyphChanges: 0,
    ocr: report,
  };
}
