import { defineErrorRenderer } from '@trustplane/kernel';
import { mediaErrors } from '../errors.js';

/**
 * The seed shows no error body for media; every error is
 * `{ error: { code, message, request_id, ...details } }` with a snake_case code (README, "Errors").
 */
export const renderMediaError = defineErrorRenderer({
  catalogue: mediaErrors,

  body: ({ code, message, details, error, request }) => {
    const body: { error: Record<string, unknown> } = { error: { code, message, request_id: request.id } };
    if (error.kind === 'validation') {
      body.error.fields = error.issues.map((issue) => ({
        field: issue.path.join('.') || issue.location,
        message: issue.message,
      }));
    }
    Object.assign(body.error, details);
    return body;
  },
});
