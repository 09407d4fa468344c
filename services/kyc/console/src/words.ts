// Plain words for the codes the API answers with. One place, so every page says the same thing.

const ERRORS: Record<string, string> = {
  INVALID_CREDENTIALS: 'That email and password do not match an account. Check both and try again.',
  EMAIL_ALREADY_REGISTERED: 'An account with this email already exists. Sign in instead.',
  UNAUTHENTICATED: 'Your session has ended. Sign in again to continue.',
  CUSTOMER_ID_TAKEN: 'Another organization already uses this customer ID. Choose a different one.',
  VERIFICATION_SESSION_NOT_FOUND:
    'This verification does not exist, or belongs to an organization you are not in.',
  VERIFICATION_ASSET_NOT_FOUND:
    'This document is no longer available (it may have been deleted after the retention period).',
  REVIEW_CONFLICT: 'Another operator reviewed this verification while you were deciding.',
  RATE_LIMITED: 'Too many attempts from this address. Wait a minute and try again.',
  SERVICE_UNAVAILABLE: 'The service is temporarily unavailable. Try again in a moment.',
  DATABASE_SCHEMA_MISSING: 'The service is temporarily unavailable. Try again in a moment.',
  VERIFICATION_STORAGE_NOT_CONFIGURED: 'Document storage is unavailable right now. Try again in a moment.',
  INTERNAL_ERROR: 'Something went wrong on our side. Try again; if it keeps happening, contact support.',
  VALIDATION_ERROR: 'Some fields need attention.',
};

/** A sentence for an API error: the catalogue's words, or the server's own message for conflicts. */
export function errorInWords(code: string, status: number, message?: string): string {
  // The conflict's message names the status the verification now has: say it.
  if (code === 'REVIEW_CONFLICT' && message) return message;
  return ERRORS[code] ?? (status >= 500 ? ERRORS.INTERNAL_ERROR! : `The request was refused (${status}).`);
}

export const REVIEW_STATUS: Record<string, string> = {
  pending: 'Pending review',
  approved: 'Approved',
  rejected: 'Rejected',
  more_info_requested: 'More information requested',
};

export const RISK: Record<string, string> = { low: 'Low risk', medium: 'Medium risk', high: 'High risk' };

export const CAPTURE_PHASE: Record<string, string> = {
  document_type: 'Choosing a document',
  front: 'Capturing the front',
  back: 'Capturing the back',
  poa: 'Capturing proof of address',
  complete: 'Capture complete',
};

export const DOCUMENT_TYPE: Record<string, string> = {
  passport: 'Passport',
  id_card: 'ID card',
  drive_eta: 'Driving licence',
};

export const SIDE: Record<string, string> = {
  front: 'Front',
  back: 'Back',
  single: 'Photo page',
  poa: 'Proof of address',
};

export const BLOCK_REASON: Record<string, string> = {
  MRZ_CHECK_DIGIT_MISMATCH:
    "The machine-readable zone's check digits do not add up: the document number, dates or names may have been altered, or the text was misread.",
  DOCUMENT_EXPIRED: 'The document had expired when it was submitted.',
  DOCUMENT_TAMPERING_DETECTED:
    'The error-level analysis found signs that the portrait area was edited after the photo was taken.',
};

export const OVERRIDE_REASONS: [string, string][] = [
  ['ocr_skew_or_glare', 'The text was misread (skew or glare)'],
  ['image_quality_recoverable', 'Image quality is poor but the document is readable'],
  ['system_false_positive', 'The automated check was wrong'],
  ['operator_verified_physically', 'I verified the document physically'],
  ['other', 'Other (explained in the rationale)'],
];

export const LIVENESS_STATUS: Record<string, string> = {
  pending: 'Waiting for the recording',
  validating: 'Checking the recording',
  analyzing: 'Analysing the recording',
  passed: 'Passed',
  failed: 'Failed',
  review: 'Needs review',
};

const FAILURE: Record<string, string> = {
  FACE_NOT_FOUND: 'no face was found in the recording',
  MULTIPLE_FACES: 'more than one face was in view',
  IDENTITY_CHANGED: 'the person in view changed during the recording',
  CHALLENGE_NOT_PERFORMED: 'the requested head turns or blinks were not performed in order',
  PULSE_NOT_DETECTED: 'no skin pulse was detected (a photo, screen or mask is suspected)',
  SCREEN_REPLAY_SUSPECTED: 'the recording looks like a screen being filmed',
  FACE_MISMATCH: "the face does not match the document's portrait",
  DOCUMENT_FACE_NOT_FOUND: "the document's portrait could not be found to compare with",
  VIDEO_TOO_SHORT: 'the recording was too short',
  VIDEO_TOO_LARGE: 'the recording was too large',
  VIDEO_CORRUPT: 'the recording is damaged',
  VIDEO_UNREADABLE: 'the recording could not be read',
  VIDEO_INTEGRITY_FAILED: 'the stored recording is not the one that was uploaded',
  ANALYSIS_UNAVAILABLE: 'the recording could not be analysed (try again later)',
};

/** `FACE_NOT_FOUND,NO_PULSE` → "no face was found …; no skin pulse …" (unknown codes kept as they are). */
export function failureInWords(reason: string | null): string {
  if (!reason) return '';
  return reason
    .split(/[,;\s]+/)
    .filter(Boolean)
    .map((code) => FAILURE[code] ?? code.toLowerCase().replaceAll('_', ' '))
    .join('; ');
}

export const AUDIT_EVENT: Record<string, string> = {
  session_created: 'Verification created',
  document_type_selected: 'Document type chosen',
  document_uploaded: 'Document uploaded',
  document_analyzed: 'Document analysed',
  document_reanalyzed: 'Document re-analysed',
  document_analysis_failed: 'Document analysis failed',
  admin_document_reanalyze: 'Re-analysis requested by an operator',
  liveness_initiated: 'Liveness check started',
  liveness_video_submitted: 'Liveness recording submitted',
  liveness_completed: 'Liveness check finished',
  automated_rejection: 'Rejected automatically',
  api_key_revoked: 'API key revoked',
  manual_review: 'Reviewed by an operator',
  session_objects_purged: 'Documents deleted (retention period ended)',
};

export const auditEventInWords = (type: string) =>
  AUDIT_EVENT[type] ?? type.replaceAll('_', ' ').replace(/^./, (c) => c.toUpperCase());

export const formatDate = (iso: string) =>
  new Date(iso).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' });

export const percent = (value: number | null | undefined) =>
  value === null || value === undefined ? '—' : `${Math.round(value * 100)} %`;
