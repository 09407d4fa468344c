import type { ErrorRenderer, NormalizedHttpError } from '@trustplane/kernel';

/**
 * The seed's envelope `{ success: false, code, message, trace_id }`, with the numeric
 * codes of its error-code table (src/errors.ts). Validation is 422/4002 and names the field.
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
      // A missing or malformed header is a bad request; a bad field value is a validation failure.
      return error.issues.every((issue) => issue.location === 'headers')
        ? { statusCode: 400, code: 4000 }
        : { statusCode: 422, code: 4002 };
    case 'malformed_json':
    case 'unsupported_media_type':
    case 'body_too_large':
      return { statusCode: 400, code: 4000 };
    case 'not_found':
      return { statusCode: 404, code: 4004 };
    case 'service':
      return {
        statusCode: error.statusCode,
        code: Number(error.error.code) || CODE_BY_STATUS[error.statusCode] || 5000,
      };
    case 'internal':
      return { statusCode: 500, code: 5000 };
    default: {
      // Only the statuses of the seed's table: anything else a client triggers is a bad request.
      const code = CODE_BY_STATUS[error.statusCode];
      return code ? { statusCode: error.statusCode, code } : { statusCode: 400, code: 4000 };
    }
  }
}

function issueMessage(message: string, code: string): string {
  if (code === 'missing') return 'is required';
  return message.charAt(0).toLowerCase() + message.slice(1);
}

export const renderAccountError: ErrorRenderer = (error, request) => {
  const { statusCode, code } = statusAndCode(error);
  const message =
    error.kind === 'validation'
      ? error.issues
          .map(
            (issue) =>
              `${issue.path.join('.') || issue.location}: ${issueMessage(issue.message, issue.code)}`,
          )
          .join('; ')
      : error.kind === 'body_too_large'
        ? 'Request body is too large'
        : error.message;
  const extra = error.kind === 'service' ? error.error.details : {};
  return { statusCode, body: { success: false, code, message, trace_id: request.id, ...extra } };
};
