import { defineErrorRenderer } from '@trustplane/kernel';
import { errors } from '../errors.js';

/**
 * The seed's `Error`: `{ error, code, scope? }` (402 adds `cap`). Oversized bodies and unknown
 * Content-Types are 400s here: the seed lists no 413 or 415 (see the README).
 */
export const renderVerifactError = defineErrorRenderer({
  catalogue: errors,
  kinds: {
    // Errors a plugin raises with its own status: only the catalogue's codes leave.
    client: {
      names: ['payloadTooLarge', 'unsupportedContentType', 'validation'],
      pick: (error) =>
        error.statusCode === 413
          ? 'payloadTooLarge'
          : error.statusCode === 415
            ? 'unsupportedContentType'
            : 'validation',
    },
  },
  body: ({ code, message, details }) => {
    const body: Record<string, unknown> = { error: message, code };
    if (typeof details.scope === 'string') body.scope = details.scope;
    if (typeof details.cap === 'number') body.cap = details.cap;
    return body;
  },
});
