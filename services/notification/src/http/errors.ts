import type { ErrorRenderer } from '@trustplane/kernel';

/** The seed documents no HTTP error body; errors are `{ error: code, message }` (see the README). */
export const renderNotificationError: ErrorRenderer = (error) => ({
  statusCode: error.statusCode,
  body: { error: error.kind === 'service' ? error.error.code : error.kind, message: error.message },
});
