import type { ErrorRenderer, NormalizedHttpError } from '@trustplane/kernel';

/**
 * The seed's envelope `{ success: false, code, message, trace_id }`, with the numeric
 * codes of its error-code table. Validation is 422/4002 and names the field.
 */
const CODE_BY_STATUS: Record<number, number> = {
  400: 4000,
  401: 4003,
  403: 4030,
  404: 4004,
  422: 4002,
  429: 4008,
};

function statusAndCode(error: NormalizedHttpError): { statusCode: number; code: number } {
  switch (error.kind) {
    case 'validation':
      return { statusCode: 422, code: 4002 };
    case 'malformed_json':
    case 'unsupported_media_type':
    case 'body_too_large':
      return { statusCode: 400, code: 4000 };
    case 'service':
      return {
        statusCode: error.statusCode,
        code: Number(error.error.code) || CODE_BY_STATUS[error.statusCode] || 5000,
      };
    case 'internal':
      return { statusCode: 500, code: 5000 };
    default:
      return { statusCode: error.statusCode, code: CODE_BY_STATUS[error.statusCode] ?? 4000 };
  }
}

export const renderAccountError: ErrorRenderer = (error, request) => {
  const { statusCode, code } = statusAndCode(error);
  const message =
    error.kind === 'validation'
      ? error.issues.map((issue) => `${issue.path.join('.') || issue.location}: ${issue.message}`).join('; ')
      : error.message;
  const extra = error.kind === 'service' ? error.error.details : {};
  return { statusCode, body: { success: false, code, message, trace_id: request.id, ...extra } };
};
