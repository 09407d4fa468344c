import {
  denoiseImage,
  distanceToSimilarity,
  documentExpiry,
  errorLevelAnalysis,
  euclideanDistance,
  ImageError,
  inspectImage,
  type MrzReading,
  moireAnalysis,
  portraitCompressionGhost,
  portraitElaContrast,
  readMrz,
} from '@trustplane/vision';
import type { BiometryConfig } from '../config.js';
import {
  type CrossValidation,
  compareBirthDate,
  compareGender,
  compareNationality,
  type DeclaredIdentity,
  nameMatchScore,
} from './cross-validate.js';
import type { Engines } from './engines.js';

export type Outcome = 'verified' | 'pending_review' | 'rejected' | 'error';

export interface VerificationInput {
  documentType: 'CNI' | 'PASSPORT' | 'TITRE_DE_SEJOUR' | 'NATIONAL_ID';
  selfie: Uint8Array;
  recto: Uint8Array;
  verso: Uint8Array | null;
  declared: DeclaredIdentity;
  /** "Today" for the expiry check. */
  now?: Date;
}

export interface VerificationResult {
  status: 'completed' | 'error';
  outcome: Outcome;
  failureReason: string | null;
  /** Why the outcome is not `verified` (empty when it is). */
  reasons: string[];
  scores: Record<string, unknown>;
  crossValidations: Record<string, CrossValidation>;
}

const MRZ_ON_VERSO = new Set(['CNI', 'TITRE_DE_SEJOUR', 'NATIONAL_ID']);

function round(value: number, digits = 4): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/**
 * One verification: faces (selfie, document recto), descriptor distance, MRZ (recto for
 * passports, verso for cards, else the other side), cross-validation against the declared
 * identity, expiry, and forensic scores. Inputs that cannot be processed end in `error` with
 * a reason; checks that fail clearly end in `rejected`; borderline or unreadable ones in
 * `pending_review`.
 */
export async function verifyIdentity(
  input: VerificationInput,
  engines: Engines,
  config: BiometryConfig,
): Promise<VerificationResult> {
  const scores: Record<string, unknown> = {};
  const crossValidations: Record<string, CrossValidation> = {};
  const rejections: string[] = [];
  const reviews: string[] = [];
  const error = (reason: string): VerificationResult => ({
    status: 'error',
    outcome: 'error',
    failureReason: reason,
    reasons: [reason],
    scores,
    crossValidations,
  });

  // Clients often send a passport's recto again as its verso: the same bytes are checked, read
  // and measured once.
  const versoIsRecto =
    input.verso !== null &&
    Buffer.from(input.verso.buffer, input.verso.byteOffset, input.verso.byteLength).equals(input.recto);
  for (const [name, bytes] of [
    ['selfie', input.selfie],
    ['document recto', input.recto],
    ...(input.verso && !versoIsRecto ? [['document verso', input.verso] as const] : []),
  ] as const) {
    try {
      await inspectImage(bytes, config.maxImageBytes);
    } catch (failure) {
      if (failure instanceof ImageError) return error(`${name}: ${failure.message}`);
      throw failure;
    }
  }

  const faces = await engines.faces();
  const selfieFaces = await faces.detect(input.selfie, { minConfidence: config.faceMinConfidence });
  scores.selfie_faces = selfieFaces.length;
  if (selfieFaces.length === 0) return error('no face detected on the selfie');
  if (selfieFaces.length > 1) return error(`more than one face on the selfie (${selfieFaces.length})`);
  let documentFaces = await faces.detect(input.recto, { minConfidence: config.faceMinConfidence });
  if (documentFaces.length === 0) {
    // A photographed screen's grid or print halftone can hide the portrait: retry once on a median-filtered copy.
    const denoised = await denoiseImage(input.recto);
    documentFaces = await faces.detect(denoised, { minConfidence: config.faceMinConfidence });
    scores.document_face_denoised = documentFaces.length > 0;
  }
  scores.document_faces = documentFaces.length;
  if (documentFaces.length === 0) return error('no face detected on the document recto');
  const selfieFace = selfieFaces[0] as (typeof selfieFaces)[number];
  // A document may carry a second, ghost portrait: the closest face is the holder's.
  const distances = documentFaces.map((face) => euclideanDistance(selfieFace.descriptor, face.descriptor));
  const distance = Math.min(...distances);
  const holderPortrait = documentFaces[distances.indexOf(distance)] as (typeof documentFaces)[number];
  scores.face_distance = round(distance);
  scores.face_similarity = distanceToSimilarity(distance);
  scores.face_detection_confidence = round(
    Math.min(selfieFace.score, (documentFaces[0] as { score: number }).score),
  );
  const faceCheck: CrossValidation = {
    passed: distance <= config.faceMatchDistance,
    expected: `distance <= ${config.faceMatchDistance}`,
    found: String(round(distance)),
    score: distanceToSimilarity(distance),
  };
  crossValidations.face_match = faceCheck;
  if (distance > config.faceRejectDistance) rejections.push('face does not match the document portrait');
  else if (distance > config.faceMatchDistance) reviews.push('face match is borderline');

  const mrzSide =
    input.documentType === 'PASSPORT' ? 'recto' : MRZ_ON_VERSO.has(input.documentType) ? 'verso' : 'recto';
  const primary = mrzSide === 'verso' ? input.verso : input.recto;
  const secondary = versoIsRecto ? null : mrzSide === 'verso' ? input.recto : input.verso;
  const ocr = await engines.ocr();
  // What OCR did over every side read (each side has its own budget): kept in `scores`, so an MRZ
  // not found because the budget ran out is told apart from a side that shows none.
  const ocrReport = { passes: 0, skipped: 0, timedOut: false };
  const read = async (side: Uint8Array) => {
    const result = await readMrz(ocr, side, { ocrBudgetMs: config.ocrBudgetMs });
    ocrReport.passes += result.ocr.passes;
    ocrReport.skipped += result.ocr.skipped;
    ocrReport.timedOut ||= result.ocr.timedOut;
    return result;
  };
  let reading: MrzReading | undefined;
  let readSide = mrzSide;
  if (primary) reading = await read(primary);
  if (!reading?.found && secondary) {
    const other = await read(secondary);
    if (other.found) {
      reading = other;
      readSide = mrzSide === 'verso' ? 'recto' : 'verso';
    }
  }
  scores.ocr_passes = ocrReport.passes;
  scores.ocr_skipped_passes = ocrReport.skipped;
  scores.ocr_timed_out = ocrReport.timedOut;
  scores.ocr_confidence = reading?.confidence ?? 0;
  scores.mrz_found = Boolean(reading?.found);
  scores.mrz_side = reading?.found ? readSide : null;
  scores.mrz_format = reading?.format ?? null;
  scores.mrz_corrections = reading?.corrections.length ?? 0;
  if (!reading?.found) {
    reviews.push(
      ocrReport.timedOut
        ? 'MRZ not read: the OCR time budget ran out'
        : mrzSide === 'verso' && !input.verso
          ? 'no verso given and no MRZ found on the recto'
          : 'no MRZ found',
    );
  } else {
    const checks: CrossValidation = {
      passed: reading.valid,
      expected: 'all check digits valid',
      found: reading.valid ? 'valid' : `invalid: ${reading.invalidFields.join(', ')}`,
      score: reading.valid ? 1 : 0,
    };
    crossValidations.mrz_check_digits = checks;
    if (!reading.valid) {
      // Broken digits on a clean read are a forgery signal; on a poor read they are an OCR doubt.
      if (reading.confidence >= config.ocrMinConfidence && reading.corrections.length === 0)
        rejections.push('MRZ check digits are invalid');
      else reviews.push('MRZ unreadable or check digits invalid');
    }
    const fields = reading.fields;
    const lastScore = nameMatchScore(input.declared.last_name, fields.lastName ?? '');
    const firstScore = nameMatchScore(input.declared.first_name, fields.firstName ?? '');
    scores.last_name_match = lastScore;
    scores.first_name_match = firstScore;
    for (const [key, score, declared, found] of [
      ['last_name', lastScore, input.declared.last_name, fields.lastName],
      ['first_name', firstScore, input.declared.first_name, fields.firstName],
    ] as const) {
      crossValidations[key] = {
        passed: score >= config.nameMatchScore,
        expected: declared,
        found: found ?? null,
        score,
      };
      if (score < config.nameRejectScore && reading.valid)
        rejections.push(`${key.replace('_', ' ')} does not match the document`);
      else if (score < config.nameMatchScore) reviews.push(`${key.replace('_', ' ')} match is borderline`);
    }
    const birth = compareBirthDate(input.declared.date_of_birth, fields.birthDate);
    crossValidations.date_of_birth = birth;
    if (input.declared.date_of_birth && !birth.passed) {
      if (reading.valid) rejections.push('date of birth does not match the document');
      else reviews.push('date of birth unreadable');
    }
    const gender = compareGender(input.declared.gender, fields.sex);
    crossValidations.gender = gender;
    if (!gender.passed) (reading.valid ? rejections : reviews).push('gender does not match the document');
    const nationality = compareNationality(input.declared.nationality, fields.nationality);
    crossValidations.nationality = nationality;
    if (!nationality.passed)
      (reading.valid ? rejections : reviews).push('nationality does not match the document');
    const expiry = documentExpiry(fields.expirationDate, input.now ?? new Date());
    const notExpired = expiry.expired === false;
    crossValidations.document_expiry = {
      passed: notExpired,
      expected: `on or after ${expiry.today}`,
      found: expiry.isoDate,
      score: notExpired ? 1 : 0,
    };
    if (expiry.expired === null) reviews.push('expiry date unreadable');
    else if (expiry.expired) (reading.valid ? rejections : reviews).push('document is expired');
    if (reading.confidence < config.ocrMinConfidence) reviews.push('low OCR confidence');
  }

  // ELA on the portrait side (where splices happen); moiré on every side (either can be a screen).
  const ela = await errorLevelAnalysis(input.recto);
  const moireSides = await Promise.all(
    [input.recto, ...(input.verso && !versoIsRecto ? [input.verso] : [])].map((side) => moireAnalysis(side)),
  );
  const moire = moireSides.reduce((worst, side) => (side.score > worst.score ? side : worst));
  scores.ela = ela.score;
  scores.moire = moire.score;
  if (moire.score >= config.moireReviewScore) reviews.push('document looks photographed from a screen');
  if (ela.score >= config.elaReviewScore) reviews.push('document shows signs of editing');

  // A portrait pasted onto a card that had been saved as a JPEG, then saved again, lacks the
  // card's compression history (packages/vision README, "Portrait forensics").
  const portraitEla = portraitElaContrast(ela, holderPortrait.box);
  const ghost = await portraitCompressionGhost(input.recto, holderPortrait.box);
  scores.portrait_ela_contrast = portraitEla.contrast;
  scores.portrait_ghost_ratio = ghost.ratio;
  scores.portrait_ghost_quality = ghost.quality;
  const pasted = ghost.ratio !== null && ghost.ratio >= config.portraitGhostReviewRatio;
  crossValidations.portrait_integrity = {
    passed: !pasted,
    expected: `portrait compression ghost ratio < ${config.portraitGhostReviewRatio}`,
    found: ghost.ratio === null ? null : String(ghost.ratio),
    score: round(1 - ghost.score, 3),
  };
  if (pasted) reviews.push('document portrait appears pasted onto the card after it was compressed');

  const outcome: Outcome = rejections.length ? 'rejected' : reviews.length ? 'pending_review' : 'verified';
  return {
    status: 'completed',
    outcome,
    failureReason: rejections.length ? rejections.join('; ') : reviews.length ? reviews.join('; ') : null,
    reasons: [...rejections, ...reviews],
    scores,
    crossValidations,
  };
}
