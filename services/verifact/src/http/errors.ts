import type { ErrorRenderer } from '@trustplane/kernel';

/** The seed's `Error` schema: `{ error: human message, code?: machine code, scope?: missing scope }`. */
export const renderVerifactError: ErrorRenderer = (error) => {
  switch (error.kind) {
    case 'validation':
      return { statusCode: 400, body: { error: error.message, code: 'VALIDATION_ERROR' } };
    case 'malformed_json':
      return { statusCode: 400, body: { error: error.message, code: 'INVALID_JSON' } };
    case 'service': {
      const body: Record<string, unknown> = { error: error.message, code: error.error.code };
      if (typeof error.error.details.scope === 'string') body.scope = error.error.details.scope;
      return { statusCode: error.statusCode, body };
    }
    case 'not_found':
      return { statusCode: 404, body: { error: error.message, code: 'NOT_FOUND' } };
    case 'internal':
      return { statusCode: 500, body: { error: error.message, code: 'INTERNAL_ERROR' } };
    default:
      return { statusCode: error.statusCode, body: { error: error.message, code: error.kind.toUpperCase() } };
  }
};
