import type { ErrorRenderer } from '@trustplane/kernel';

/** The seed's `AppError`: `{ error: { code, message, details? } }`; validation is 422 `VALIDATION`. */
export const renderBacklexError: ErrorRenderer = (error) => {
  switch (error.kind) {
    case 'validation':
      return {
        statusCode: 422,
        body: {
          error: {
            code: 'VALIDATION',
            message: error.message,
            details: error.issues.map((issue) => ({
              path: issue.path.join('.'),
              location: issue.location,
              message: issue.message,
            })),
          },
        },
      };
    case 'malformed_json':
      return { statusCode: 400, body: { error: { code: 'BAD_REQUEST', message: error.message } } };
    case 'service':
      return {
        statusCode: error.statusCode,
        body: {
          error: {
            code: error.error.code,
            message: error.message,
            details: error.error.details.details ?? null,
          },
        },
      };
    case 'not_found':
      return { statusCode: 404, body: { error: { code: 'NOT_FOUND', message: error.message } } };
    case 'internal':
      return { statusCode: 500, body: { error: { code: 'INTERNAL', message: error.message } } };
    default:
      return {
        statusCode: error.statusCode,
        body: { error: { code: error.kind.toUpperCase(), message: error.message } },
      };
  }
};
