import { defineErrorRenderer } from '@trustplane/kernel';
import { notificationErrors } from '../domain/errors.js';

/**
 * The HTTP surface (`/health`, `/metrics`, `/openapi.json`) answers errors from the same catalogue
 * as gRPC, as `{ error: code, message }` (the seed documents no HTTP error body; README "Errors").
 */
export const renderNotificationError = defineErrorRenderer({
  catalogue: notificationErrors,

  body: ({ code, message }) => ({ error: code, message }),
});
