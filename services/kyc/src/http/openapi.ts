import type { SecurityRequirements } from '@trustplane/kernel';
import { SESSION_COOKIE } from './auth-hooks.js';

/**
 * Security schemes of the OpenAPI document. `tenantBearerAuth` is the seed's own; the seed
 * describes the other credentials in prose (the verification token "via `X-Verification-Token`
 * or `?token=`", the operator's `kyc_session` cookie), named here so a client can send them.
 */
export const KYC_SECURITY_SCHEMES = {
  tenantBearerAuth: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'sk_<env>_<random>',
    description:
      'Secret API key minted from the dashboard. Required on `POST /api/verification/sessions`. Publishable keys (`pk_…`) are for the SDK only and are NOT accepted here.',
  },
  verificationToken: {
    type: 'apiKey',
    in: 'header',
    name: 'X-Verification-Token',
    description: 'The session token returned when the session was created (the hosted page sends it here).',
  },
  verificationTokenQuery: {
    type: 'apiKey',
    in: 'query',
    name: 'token',
    description: 'The session token, as a query parameter.',
  },
  operatorSession: {
    type: 'apiKey',
    in: 'cookie',
    name: SESSION_COOKIE,
    description: 'Operator session cookie set by `POST /api/auth/login`.',
  },
} as const;

export const KYC_SECURITY = {
  public: [],
  secretKey: [{ tenantBearerAuth: [] }],
  /** The token must come in the header or the query. */
  verificationToken: [{ verificationToken: [] }, { verificationTokenQuery: [] }],
  /** The token rides in the body (required there); a header token, if sent, is checked first. */
  verificationTokenInBody: [{ verificationToken: [] }, {}],
  operator: [{ operatorSession: [] }],
  /** Logout clears the cookie if there is one; it works without. */
  operatorOptional: [{ operatorSession: [] }, {}],
} as const satisfies Record<string, SecurityRequirements>;
