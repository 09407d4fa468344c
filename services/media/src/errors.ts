import { ServiceError } from '@trustplane/kernel';

/**
 * The media error catalogue: one factory per code, so status and code never drift apart.
 * Rendered as `{ error: { code, message, request_id, ...details } }` by `http/errors.ts`.
 */
export const mediaErrors = {
  unauthenticated: (message = 'Authentication required') => new ServiceError(401, 'unauthenticated', message),
  invalidToken: (message: string) => new ServiceError(401, 'invalid_token', message),
  authUnavailable: () =>
    new ServiceError(
      503,
      'auth_unavailable',
      'The token cannot be verified right now (account service unreachable); retry shortly',
      {},
      { 'retry-after': '5' },
    ),
  forbidden: (permission: string) =>
    new ServiceError(403, 'forbidden', `Missing permission ${permission}`, {
      required_permission: permission,
    }),
  mediaNotFound: () => new ServiceError(404, 'media_not_found', 'Media not found'),
  folderNotFound: () => new ServiceError(404, 'folder_not_found', 'Folder not found'),
  sharedLinkNotFound: () => new ServiceError(404, 'shared_link_not_found', 'Shared link not found'),
  folderNameTaken: () =>
    new ServiceError(409, 'folder_name_conflict', 'A folder with this name already exists in the parent'),
  folderTooDeep: (max: number) =>
    new ServiceError(400, 'folder_too_deep', `Folders cannot be nested deeper than ${max} levels`),
  folderCycle: () => new ServiceError(400, 'folder_cycle', 'A folder cannot be moved inside itself'),
  rootFolderImmutable: () =>
    new ServiceError(400, 'root_folder_immutable', 'Root folders cannot be renamed or moved'),
  folderNotEmpty: (folders: number, media: number) =>
    new ServiceError(
      412,
      'folder_not_empty',
      'Folder is not empty; delete its contents first or pass force=true',
      { contents: { folders, media } },
    ),
  invalidFilename: (message: string) => new ServiceError(400, 'invalid_filename', message),
  uploadIncomplete: () =>
    new ServiceError(400, 'upload_incomplete', 'The request body ended before the upload was complete'),
  missingFile: () =>
    new ServiceError(400, 'missing_file', 'Send the file as a multipart/form-data part named "file"'),
  unsupportedMediaType: (mime: string) =>
    new ServiceError(415, 'unsupported_media_type', `Files of type ${mime} are not allowed`, {
      mime_type: mime,
    }),
  blockedExtension: (extension: string) =>
    new ServiceError(415, 'unsupported_media_type', `Files with the .${extension} extension are not allowed`),
  fileTooLarge: (limit: number) =>
    new ServiceError(413, 'file_too_large', `File exceeds the maximum size of ${limit} bytes`, {
      max_bytes: limit,
    }),
  quotaExceeded: (used: number, max: number) =>
    new ServiceError(413, 'quota_exceeded', 'Storage quota exceeded', { used_bytes: used, max_bytes: max }),
  invalidVariant: (value: string, allowed: readonly string[]) =>
    new ServiceError(400, 'invalid_variant', `Unknown variant "${value}"; allowed: ${allowed.join(', ')}`, {
      allowed,
    }),
  variantUnavailable: () =>
    new ServiceError(400, 'variant_unavailable', 'Variants other than original exist only for images'),
  variantFailed: () =>
    new ServiceError(500, 'variant_generation_failed', 'The image could not be re-encoded for this variant'),
  imageUndecodable: () =>
    new ServiceError(
      500,
      'variant_generation_failed',
      'The original cannot be decoded as an image, so no variant can be made from it; the original is unchanged',
      { reason: 'undecodable' },
    ),
  imageTooLarge: (maxPixels: number) =>
    new ServiceError(
      422,
      'image_too_large',
      `Variants are made only from images of at most ${maxPixels} pixels; download the original instead`,
      { max_pixels: maxPixels },
    ),
  storageMissing: () =>
    new ServiceError(500, 'storage_inconsistent', 'The stored bytes of this media are missing'),
  rangeNotSatisfiable: (size: number) =>
    new ServiceError(
      416,
      'range_not_satisfiable',
      'Requested range is outside the file',
      { size_bytes: size },
      {
        'content-range': `bytes */${size}`,
      },
    ),
  linkExpired: () => new ServiceError(410, 'shared_link_expired', 'This shared link has expired'),
  linkExhausted: () =>
    new ServiceError(429, 'download_limit_reached', 'This shared link has reached its download limit'),
  passwordRequired: () => new ServiceError(401, 'password_required', 'This shared link requires a password'),
  tooManyPasswordAttempts: (retryAfterSeconds: number) =>
    new ServiceError(
      429,
      'too_many_attempts',
      'Too many wrong passwords for this shared link; try again later',
      { retry_after: retryAfterSeconds },
      { 'retry-after': String(retryAfterSeconds) },
    ),
  passwordInvalid: () => new ServiceError(401, 'invalid_password', 'The password is incorrect'),
  linkNotEligible: () =>
    new ServiceError(403, 'shared_link_forbidden', 'You are not allowed to use this shared link'),
  badRequest: (code: string, message: string) => new ServiceError(400, code, message),
};
