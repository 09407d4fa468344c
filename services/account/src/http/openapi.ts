import type { SecurityRequirements } from '@trustplane/kernel';
import { REFRESH_COOKIE } from './cookies.js';

/** The seed's authentication methods (JWT Bearer, API Key) and the refresh cookie it sets. */
export const ACCOUNT_SECURITY_SCHEMES = {
  bearer: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description:
      'Short-lived RS256 access token issued by `/auth/login`, `/auth/register`, `/auth/refresh` or `/auth/token-exchange`; verify it with `/auth/public-key`.',
  },
  apiKey: {
    type: 'apiKey',
    in: 'header',
    name: 'X-API-Key',
    description:
      'Long-lived key of a service account (`POST /service-accounts/{account_id}/api-keys`). `/auth/token-exchange` swaps it for a 1-hour JWT.',
  },
  refreshCookie: {
    type: 'apiKey',
    in: 'cookie',
    name: REFRESH_COOKIE,
    description: 'HttpOnly refresh-token cookie set by login, register and refresh (SSO flow).',
  },
} as const;

export const ACCOUNT_SECURITY = {
  public: [],
  /** Any authenticated principal: a human's JWT or a service account's key. */
  principal: [{ bearer: [] }, { apiKey: [] }],
  apiKey: [{ apiKey: [] }],
  /** The refresh token may come in the body instead of the cookie. */
  refresh: [{ refreshCookie: [] }, {}],
} as const satisfies Record<string, SecurityRequirements>;
