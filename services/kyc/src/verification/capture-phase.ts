import type { AssetSide, CapturePhase, DocumentType } from '../db/tables.js';

/**
 * The capture-phase state machine of the hosted flow:
 * `document_type` → (`front` → `back` | `single` for a passport) → `poa` → `complete`.
 * The phase names the one side the session accepts next.
 */
export function phaseAfterDocumentType(documentType: DocumentType): CapturePhase {
  return documentType === 'passport' ? 'single' : 'front';
}

/** The document type may change only before the first ID image is accepted. */
export function canChooseDocumentType(phase: CapturePhase): boolean {
  return phase === 'document_type' || phase === 'front' || phase === 'single';
}

export function phaseAfterUpload(phase: CapturePhase, side: AssetSide): CapturePhase | undefined {
  if (phase !== side) return undefined;
  switch (side) {
    case 'front':
      return 'back';
    case 'back':
    case 'single':
      return 'poa';
    case 'poa':
      return 'complete';
  }
}

/** Why `side` is not accepted now (undefined when it is). */
export function sideRefusal(phase: CapturePhase, side: AssetSide): string | undefined {
  if (phase === side) return undefined;
  if (phase === 'document_type') return 'Choose the document type first';
  if (phase === 'complete') return 'Capture is already complete';
  return `The session expects the "${phase}" side now, not "${side}"`;
}

export const ID_SIDES: readonly AssetSide[] = ['front', 'back', 'single'];

/**
 * How many times one ID side may be captured when the server cannot read it (the first upload
 * and two retakes). After the last, the flow goes on and the session is left to a reviewer.
 */
export const DOCUMENT_CAPTURE_ATTEMPTS = 3;

interface AssetAttempt {
  side: AssetSide;
  attempt: number;
  analysis_status: string;
  unreadable_reasons: string[] | null;
}

/** Whether `asset` is the newest upload of its side among `assets`. */
export function isLatestOfSide(asset: AssetAttempt, assets: readonly AssetAttempt[]): boolean {
  return !assets.some((other) => other.side === asset.side && other.attempt > asset.attempt);
}

/**
 * Whether `side` may be uploaded again although the phase has moved on: its newest upload was
 * analysed and judged unreadable (no MRZ where the document type has one, no portrait, or an
 * image the analysis could not decode), and attempts remain. Returns the attempt number it gets.
 */
export function retakeAttempt(side: AssetSide, assets: readonly AssetAttempt[]): number | undefined {
  if (!ID_SIDES.includes(side)) return undefined;
  const ofSide = assets.filter((asset) => asset.side === side);
  const latest = ofSide.reduce<AssetAttempt | undefined>(
    (newest, asset) => (!newest || asset.attempt > newest.attempt ? asset : newest),
    undefined,
  );
  if (!latest?.unreadable_reasons?.length) return undefined;
  if (latest.analysis_status !== 'completed' && latest.analysis_status !== 'failed') return undefined;
  return latest.attempt < DOCUMENT_CAPTURE_ATTEMPTS ? latest.attempt + 1 : undefined;
}
