import type { ErrorRenderer } from '@trustplane/kernel';

/**
 * The seed shows no error body for media; every error is
 * `{ error: { code, message, request_id } }` with a snake_case code (documented in the README).
 */
export const renderMediaError: ErrorRenderer = (error, request) => {
  const code =
    error.kind === 'service'
      ? error.error.code
      : error.kind === 'validation'
        ? 'validation_failed'
        : error.kind === 'client'
          ? 'bad_request'
          : error.kind;
  const body: { error: Record<string, unknown> } = {
    error: { code, message: error.message, request_id: request.id },
  };
  if (error.kind === 'validation') {
    body.error.fields = error.issues.map((issue) => ({
      field: issue.path.join('.') || issue.location,
      message: issue.message,
    }));
  }
  if (error.kind === 'service') Object.assign(body.error, error.error.details);
  return { statusCode: error.statusCode, body };
};
