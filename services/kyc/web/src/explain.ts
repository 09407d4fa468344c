import { ApiError } from './api.js';
import type { MessageKey } from './i18n.js';

/**
 * What the user is told about a refusal: the seed's error code mapped to plain words that say
 * what to do next. The service's own message and field errors are for developers, never shown.
 * `ended` means the link itself cannot go on (the page shows an end screen instead of the step).
 */
export type Explanation =
  | { kind: 'message'; key: MessageKey }
  | { kind: 'ended'; reason: 'expired' | 'invalidLink' }
  | { kind: 'stepChanged' };

const BUSY = new Set([
  'SERVICE_UNAVAILABLE',
  'DATABASE_SCHEMA_MISSING',
  'LIVENESS_SERVICE_UNAVAILABLE',
  'VERIFICATION_STORAGE_NOT_CONFIGURED',
  'INTERNAL_ERROR',
  'REQUEST_TIMEOUT',
]);

export function explain(error: unknown): Explanation {
  if (!(error instanceof ApiError)) return { kind: 'message', key: 'error.generic' };
  switch (error.code) {
    case 'VERIFICATION_EXPIRED':
      return { kind: 'ended', reason: 'expired' };
    case 'VERIFICATION_INVALID_TOKEN':
    case 'VERIFICATION_SESSION_NOT_FOUND':
      return { kind: 'ended', reason: 'invalidLink' };
    case 'NETWORK':
      return { kind: 'message', key: 'error.network' };
    case 'UPLOAD_FAILED':
      return { kind: 'message', key: 'error.uploadFailed' };
    case 'RATE_LIMITED':
      return { kind: 'message', key: 'error.rateLimited' };
    case 'PAYLOAD_TOO_LARGE':
      return { kind: 'message', key: 'error.fileSize' };
    case 'LIVENESS_ATTEMPTS_EXCEEDED':
      return { kind: 'message', key: 'error.livenessAttempts' };
    case 'VALIDATION_ERROR': {
      const fields = error.fieldErrors;
      if ('side' in fields || 'documentType' in fields) return { kind: 'stepChanged' };
      if ('contentType' in fields) return { kind: 'message', key: 'error.fileType' };
      if ('byteSize' in fields) return { kind: 'message', key: 'error.fileSize' };
      return { kind: 'message', key: 'error.generic' };
    }
  }
  if (BUSY.has(error.code) || error.status >= 500) return { kind: 'message', key: 'error.busy' };
  return { kind: 'message', key: 'error.generic' };
}
