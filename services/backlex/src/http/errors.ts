import { defineErrorRenderer } from '@trustplane/kernel';
import { errors } from '../errors.js';

/** The seed's `AppError`: `{ error: { code, message, details? } }`; validation is 422 `VALIDATION`. */
export const renderBacklexError = defineErrorRenderer({
  catalogue: errors,
  body: ({ code, message, details, error }) => {
    const body: { code: string | number; message: string; details?: unknown } = { code, message };
    if (error.kind === 'validation') {
      body.details = error.issues.map((issue) => ({
        path: issue.path.join('.'),
        location: issue.location,
        message: issue.message,
      }));
    } else if (error.kind === 'service') {
      body.details = details.details ?? null;
    }
    return { error: body };
  },
});
