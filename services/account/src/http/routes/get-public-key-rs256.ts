import { documentSecurity } from '@trustplane/kernel';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccountDeps } from '../../deps.js';
import { epoch } from '../../identity/access.js';
import { ACCOUNT_SECURITY } from '../openapi.js';
import { ok } from '../schemas.js';

export function getPublicKeyRs256Route(deps: AccountDeps) {
  return async (app: FastifyInstance) => {
    app.addHook('onRoute', documentSecurity(ACCOUNT_SECURITY.public));
    const routes = app.withTypeProvider<ZodTypeProvider>();
    routes.get(
      '/api/v1/auth/public-key',
      {
        schema: {
          tags: ['auth'],
          operationId: 'getPublicKeyRs256',
          summary: 'Get public key (RS256)',
          description:
            'Return the RS256 public key (PEM) for local JWT verification by downstream services. Cache this for the lifetime of `expires_at` (default 90 days). **Key rotation strategy:** - Each issued JWT carries a `kid` claim in its header naming the key that signed it (e.g. `key-2026-03-01-v1`). - Verifiers should cache by `kid`. On a cache miss (unfamiliar `kid`), re-fetch this endpoint to learn the new key. - During rotation, account-service serves the **new** key here but continues to **accept** tokens signed by the previous key until those tokens naturally exp. Verifiers should retain the previous key entry until its tokens have aged out. - `expires_at` is the rough cache horizon — refresh before that even without a `kid` mismatch to pick up scheduled rotations.',
          response: {
            200: ok(
              z.object({
                key_id: z.string(),
                algorithm: z.literal('RS256'),
                public_key: z.string(),
                expires_at: z.number().int(),
              }),
            ),
          },
        },
      },
      async (_request, reply) => {
        const active = deps.keys.active;
        reply.header('cache-control', 'public, max-age=300');
        return {
          success: true as const,
          data: {
            key_id: active.kid,
            algorithm: 'RS256' as const,
            public_key: active.publicPem,
            expires_at: epoch(active.createdAt) + deps.config.publicKeyCacheDays * 86_400,
          },
        };
      },
    );
  };
}
