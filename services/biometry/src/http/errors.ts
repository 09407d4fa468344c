import { defineErrorRenderer, type RequestLocation } from '@trustplane/kernel';
import { errors } from '../errors.js';

/** FastAPI's `loc` vocabulary for where a value came from. */
const LOCATION: Record<RequestLocation, string> = {
  body: 'body',
  querystring: 'query',
  params: 'path',
  headers: 'header',
};

/**
 * FastAPI-compatible envelope of the seed: validation failures are 422
 * `{detail: [{loc, msg, type}]}`; every other error is `{detail: "message"}`.
 */
export const renderBiometryError = defineErrorRenderer({
  catalogue: errors,

  body: ({ message, details, error }) => {
    switch (error.kind) {
      case 'validation':
        // The kernel already reports an absent value as `missing` / "Field required", as FastAPI does.
        return {
          detail: error.issues.map((issue) => ({
            loc: [LOCATION[issue.location], ...issue.path],
            msg: issue.message,
            type: issue.code,
          })),
        };
      case 'malformed_json':
        return { detail: [{ loc: ['body'], msg: 'JSON decode error', type: 'json_invalid' }] };
      case 'unsupported_media_type':
        return {
          detail: [
            { loc: ['body'], msg: 'Request body must be application/json', type: 'model_attributes_type' },
          ],
        };
      case 'body_too_large':
        return { detail: [{ loc: ['body'], msg: error.message, type: 'too_large' }] };
      case 'not_found':
        return { detail: 'Not Found' };
      default:
        return { detail: details.detail ?? message };
    }
  },
});
