import type { SecurityRequirements } from '@trustplane/kernel';

/**
 * The seed documents the service key as a required `X-Service-API-Key` header on every `/jobs`
 * route; as a security scheme, the docs' Authorize button and generated clients send it.
 */
export const BIOMETRY_SECURITY_SCHEMES = {
  serviceApiKey: {
    type: 'apiKey',
    in: 'header',
    name: 'X-Service-API-Key',
    description: 'A service key (`trustplane biometry key create`).',
  },
} as const;

export const SERVICE_KEY_SECURITY = [{ serviceApiKey: [] }] as const satisfies SecurityRequirements;
