import { documentSecurity } from '@trustplane/kernel';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccountDeps } from '../../deps.js';
import { ACCOUNT_SECURITY } from '../openapi.js';

export function getJwksRoute(deps: AccountDeps) {
  return async (app: FastifyInstance) => {
    app.addHook('onRoute', documentSecurity(ACCOUNT_SECURITY.public));
    const routes = app.withTypeProvider<ZodTypeProvider>();
    routes.get(
      '/.well-known/jwks.json',
      {
        schema: {
          tags: ['auth'],
          operationId: 'getJwks',
          summary: 'JWKS: the active key and every previous key still verifying',
          'x-extension': true,
          response: { 200: z.object({ keys: z.array(z.record(z.string(), z.unknown())) }) },
        },
      },
      async (_request, reply) => {
        reply.header('cache-control', 'public, max-age=300');
        return deps.keys.ring.jwks() as { keys: Record<string, unknown>[] };
      },
    );
  };
}
