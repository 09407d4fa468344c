import type { ErrorRenderer, RequestLocation } from '@trustplane/kernel';

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
export const renderBiometryError: ErrorRenderer = (error) => {
  switch (error.kind) {
    case 'validation':
      return {
        statusCode: 422,
        body: {
          // The kernel already reports an absent value as `missing` / "Field required", as FastAPI does.
          detail: error.issues.map((issue) => ({
            loc: [LOCATION[issue.location], ...issue.path],
            msg: issue.message,
            type: issue.code,
          })),
        },
      };
    case 'malformed_json':
      return {
        statusCode: 422,
        body: { detail: [{ loc: ['body'], msg: 'JSON decode error', type: 'json_invalid' }] },
      };
    // A body that is not JSON, or too large to read, is bad input like any other: 422 detail[].
    case 'unsupported_media_type':
      return {
        statusCode: 422,
        body: {
          detail: [
            { loc: ['body'], msg: 'Request body must be application/json', type: 'model_attributes_type' },
          ],
        },
      };
    case 'body_too_large':
      return {
        statusCode: 422,
        body: { detail: [{ loc: ['body'], msg: error.message, type: 'too_large' }] },
      };
    case 'not_found':
      return { statusCode: 404, body: { detail: 'Not Found' } };
    case 'method_not_allowed':
      return { statusCode: 405, body: { detail: 'Method Not Allowed' } };
    case 'service':
      return {
        statusCode: error.statusCode,
        body:
          error.error.details.detail !== undefined
            ? { detail: error.error.details.detail }
            : { detail: error.message },
      };
    default:
      return { statusCode: error.statusCode, body: { detail: error.message } };
  }
};
