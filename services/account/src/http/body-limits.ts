/**
 * Request body limits, sized to the largest valid body of the routes' schemas; a body over its
 * limit is refused from its `Content-Length` (or once a chunked body streams past it), unread.
 */
export const ACCOUNT_BODY_LIMITS = {
  /**
   * Every route but the profile: the largest valid body is a service account's (200 capabilities
   * and 200 tools of 100 characters, a 2000-character description), under 90 KB even in
   * multi-byte UTF-8.
   */
  default: 128 * 1024,
  /** `PUT /api/v1/me`: `model_config` alone may be 65,536 characters (6 bytes each JSON-escaped). */
  profile: 512 * 1024,
} as const;
