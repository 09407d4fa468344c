/** Longest `texturePatchB64` of a liveness probe: a small base64 image patch. */
export const MAX_TEXTURE_PATCH_CHARS = 3_000_000;

/**
 * Request body limits, sized to the largest valid request of each route; a body over its limit
 * is refused from its `Content-Length` (or once a chunked body streams past it), never buffered.
 */
export const KYC_BODY_LIMITS = {
  /** Every other route: login/signup, operator forms, session creation with its `metadata`. */
  default: 64 * 1024,
  /** End-user requests whose session token may ride in the body: a few short fields. */
  tokenInBody: 16 * 1024,
  /** The liveness probe: the texture patch, ≤ 200 samples and the landmark summary. */
  livenessComplete: MAX_TEXTURE_PATCH_CHARS + 64 * 1024,
} as const;
