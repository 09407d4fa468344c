import { documentSecurity } from '@trustplane/kernel';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccountDeps } from '../../deps.js';
import { introspectAccessToken } from '../../identity/token-grants.js';
import { ACCOUNT_SECURITY } from '../openapi.js';
import { errorResponses, ok } from '../schemas.js';

const introspection = z.object({
  valid: z.boolean(),
  account_id: z.string().nullable(),
  organization_id: z.string().nullable(),
  permissions: z.array(z.string()),
  expires_at: z.number().int().nullable(),
  session_id: z.string().nullable(),
  principal_type: z.enum(['human', 'service']).nullable(),
});

export function verifyAccessTokenRoute(deps: AccountDeps) {
  return async (app: FastifyInstance) => {
    app.addHook('onRoute', documentSecurity(ACCOUNT_SECURITY.public));
    const routes = app.withTypeProvider<ZodTypeProvider>();
    routes.post(
      '/api/v1/auth/verify',
      {
        config: { rateLimit: 'verify' },
        schema: {
          tags: ['auth'],
          operationId: 'verifyAccessToken',
          summary: 'Verify access token',
          description:
            'Introspect an access token (signature + exp + revocation). Used by downstream services that prefer a server-side check over local public-key verification. Returns the claims **as-is**: permissions come from the token, not re-derived from current state. Use `/auth/refresh` if you need fresh permissions. **Rate limit:** 100 / minute / IP.',
          body: z.object({ token: z.string({ error: 'is required' }).min(1).max(8192) }),
          response: { 200: ok(introspection), ...errorResponses },
        },
      },
      async (request) => ({
        success: true as const,
        data: await introspectAccessToken(deps, request.body.token),
      }),
    );
  };
}
