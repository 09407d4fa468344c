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
