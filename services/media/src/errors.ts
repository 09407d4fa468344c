import { defineErrorCatalogue, kernelError } from '@trustplane/kernel';

/**
 * The media error catalogue: one entry per situation, each with its snake_case code and its one
 * status. Rendered as `{ error: { code, message, request_id, ...details } }` by `http/errors.ts`;
 * the README's "Errors" table lists every code (test/platform.test.ts keeps them in agreement).
 */
export const mediaErrors = defineErrorCatalogue({
  unauthenticated: { status: 401, code: 'unauthenticated', message: 'Authentication required' },
  invalidToken: { status: 401, code: 'invalid_token', message: 'The access token is not valid' },
  authUnavailable: {
    status: 503,
    code: 'auth_unavailable',
    describe: () => ({
      message: 'The token cannot be verified right now (account service unreachable); retry shortly',
      headers: { 'retry-after': '5' },
    }),
  },
  forbidden: {
    status: 403,
    code: 'forbidden',
    describe: (permission: string) => ({
      message: `Missing permission ${permission}`,
      details: { required_permission: permission },
    }),
  },
  mediaNotFound: { status: 404, code: 'media_not_found', message: 'Media not found' },
  folderNotFound: { status: 404, code: 'folder_not_found', message: 'Folder not found' },
  sharedLinkNotFound: { status: 404, code: 'shared_link_not_found', message: 'Shared link not found' },
  folderNameTaken: {
    status: 409,
    code: 'folder_name_conflict',
    message: 'A folder with this name already exists in the parent',
  },
  folderTooDeep: {
    status: 400,
    code: 'folder_too_deep',
    describe: (max: number) => ({ message: `Folders cannot be nested deeper than ${max} levels` }),
  },
  folderCycle: { status: 400, code: 'folder_cycle', message: 'A folder cannot be moved inside itself' },
  rootFolderImmutable: {
    status: 400,
    code: 'root_folder_immutable',
    message: 'Root folders cannot be renamed or moved',
  },
  invalidFolderName: {
    status: 400,
    code: 'invalid_folder_name',
    message: 'Folder names are 1-255 characters, without "/" or control characters',
  },
  folderNotEmpty: {
    status: 412,
    code: 'folder_not_empty',
    describe: (folders: number, media: number) => ({
      message: 'Folder is not empty; delete its contents first or pass force=true',
      details: { contents: { folders, media } },
    }),
  },
  invalidFilename: { status: 400, code: 'invalid_filename', message: 'The file name is not valid' },
  multipartRequired: {
    status: 400,
    code: 'multipart_required',
    message: 'Send the file as multipart/form-data',
  },
  invalidMultipart: { status: 400, code: 'invalid_multipart', message: 'Malformed multipart body' },
  uploadIncomplete: {
    status: 400,
    code: 'upload_incomplete',
    message: 'The request body ended before the upload was complete',
  },
  missingFile: {
    status: 400,
    code: 'missing_file',
    message: 'Send the file as a multipart/form-data part named "file"',
  },
  unsupportedMediaType: {
    status: 415,
    code: 'unsupported_media_type',
    answers: 'unsupported_media_type',
    describe: (mime: string) => ({
      message: `Files of type ${mime} are not allowed`,
      details: { mime_type: mime },
    }),
  },
  blockedExtension: {
    status: 415,
    code: 'unsupported_media_type',
    describe: (extension: string) => ({ message: `Files with the .${extension} extension are not allowed` }),
  },
  fileTooLarge: {
    status: 413,
    code: 'file_too_large',
    describe: (limit: number) => ({
      message: `File exceeds the maximum size of ${limit} bytes`,
      details: { max_bytes: limit },
    }),
  },
  quotaExceeded: {
    status: 413,
    code: 'quota_exceeded',
    describe: (used: number, max: number) => ({
      message: 'Storage quota exceeded',
      details: { used_bytes: used, max_bytes: max },
    }),
  },
  invalidVariant: {
    status: 400,
    code: 'invalid_variant',
    describe: (value: string, allowed: readonly string[]) => ({
      message: `Unknown variant "${value}"; allowed: ${allowed.join(', ')}`,
      details: { allowed },
    }),
  },
  variantUnavailable: {
    status: 400,
    code: 'variant_unavailable',
    message: 'Variants other than original exist only for images',
  },
  variantFailed: {
    status: 500,
    code: 'variant_generation_failed',
    message: 'The image could not be re-encoded for this variant',
  },
  imageUndecodable: {
    status: 500,
    code: 'variant_generation_failed',
    describe: () => ({
      message:
        'The original cannot be decoded as an image, so no variant can be made from it; the original is unchanged',
      details: { reason: 'undecodable' },
    }),
  },
  imageTooLarge: {
    status: 422,
    code: 'image_too_large',
    describe: (maxPixels: number) => ({
      message: `Variants are made only from images of at most ${maxPixels} pixels; download the original instead`,
      details: { max_pixels: maxPixels },
    }),
  },
  storageMissing: {
    status: 500,
    code: 'storage_inconsistent',
    message: 'The stored bytes of this media are missing',
  },
  rangeNotSatisfiable: {
    status: 416,
    code: 'range_not_satisfiable',
    describe: (size: number) => ({
      message: 'Requested range is outside the file',
      details: { size_bytes: size },
      headers: { 'content-range': `bytes */${size}` },
    }),
  },
  linkExpired: { status: 410, code: 'shared_link_expired', message: 'This shared link has expired' },
  linkExhausted: {
    status: 429,
    code: 'download_limit_reached',
    message: 'This shared link has reached its download limit',
  },
  passwordRequired: {
    status: 401,
    code: 'password_required',
    message: 'This shared link requires a password',
  },
  tooManyPasswordAttempts: {
    status: 429,
    code: 'too_many_attempts',
    describe: (retryAfterSeconds: number) => ({
      message: 'Too many wrong passwords for this shared link; try again later',
      details: { retry_after: retryAfterSeconds },
      headers: { 'retry-after': String(retryAfterSeconds) },
    }),
  },
  passwordInvalid: { status: 401, code: 'invalid_password', message: 'The password is incorrect' },
  linkNotEligible: {
    status: 403,
    code: 'shared_link_forbidden',
    message: 'You are not allowed to use this shared link',
  },
  // Failures the kernel normalizes, each answering its kind.
  validationFailed: {
    status: 400,
    code: 'validation_failed',
    message: 'The request is not valid',
    answers: 'validation',
  },
  malformedJson: kernelError('malformed_json', { code: 'malformed_json' }),
  requestRejected: { status: 400, code: 'bad_request', message: 'Bad request', answers: 'client' },
  badUrl: kernelError('bad_url', { code: 'bad_url' }),
  uriTooLong: kernelError('uri_too_long', { code: 'uri_too_long' }),
  bodyTooLarge: kernelError('body_too_large', { code: 'body_too_large' }),
  notFound: kernelError('not_found', { code: 'not_found' }),
  requestTimeout: kernelError('request_timeout', { code: 'request_timeout' }),
  headersTooLarge: kernelError('headers_too_large', { code: 'headers_too_large' }),
  serviceUnavailable: kernelError('database_unavailable', { code: 'service_unavailable' }),
  internal: kernelError('internal', { code: 'internal' }),
});
