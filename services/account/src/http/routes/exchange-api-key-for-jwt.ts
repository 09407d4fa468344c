import { documentSecurity } from '@trustplane/kernel';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccountDeps } from '../../deps.js';
import { issueServiceToken } from '../../identity/token-grants.js';
import { errors } from '../../errors.js';
import { ACCOUNT_SECURITY } from '../openapi.js';
import { authenticateApiKey, principalOf, principals } from '../principal.js';
import { errorResponses, ok } from '../schemas.js';

export function exchangeApiKeyForJwtRoute(deps: AccountDeps) {
  return async (app: FastifyInstance) => {
    app.addHook('onRoute', documentSecurity(ACCOUNT_SECURITY.public));
    const routes = app.withTypeProvider<ZodTypeProvider>();
    routes.post(
      '/api/v1/auth/token-exchange',
      {
        // The key is checked before any body is read (the route takes none).
        onRequest: async (request) => {
          const apiKey = request.headers['x-api-key'];
          if (typeof apiKey !== 'string' || apiKey.length === 0) {
            throw errors.BAD_REQUEST('x-api-key: X-API-Key header is required');
          }
          principals.set(request, await authenticateApiKey(deps, apiKey));
        },
        schema: {
          tags: ['auth'],
          operationId: 'exchangeApiKeyForJwt',
          security: ACCOUNT_SECURITY.apiKey,
          summary: 'Exchange API key for JWT',
          description:
            "Validate the supplied `X-API-Key` header and return a 1-hour service JWT (`principal_type: service`). Lets a service principal authenticate downstream calls with a verifiable JWT instead of re-presenting the API key on every hop. The JWT carries the service account's capabilities as `permissions` and `nil` as `sid`.",
          headers: z.object({ 'x-api-key': z.string({ error: 'X-API-Key header is required' }).min(1) }),
          response: {
            200: ok(
              z.object({
                access_token: z.string(),
                token_type: z.literal('Bearer'),
                expires_in: z.number().int(),
                account_id: z.string(),
                organization_id: z.string(),
                permissions: z.array(z.string()),
                principal_type: z.literal('service'),
              }),
            ),
            ...errorResponses,
          },
        },
      },
      async (request) => ({
        success: true as const,
        data: await issueServiceToken(deps.tokens, principalOf(request), deps.config.serviceTokenTtl),
      }),
    );
  };
}
