import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { VerifactDeps } from '../../composition.js';
import { principalOf, meta } from '../auth.js';
import { errorResponses, idParams, keyedUser } from '../schemas.js';

export function getUserRoute(deps: VerifactDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().get(
      '/api/v1/users/:id',
      {
        schema: {
          tags: ['Users'],
          summary: 'Get a user',
          operationId: 'getUser',
          params: idParams,
          response: { ...errorResponses(401, 404), 200: keyedUser },
        },
        // The seed lists no 403 here: any key of the tenant reads its users.
        config: {
          access: { operation: 'verifact.users.get', requirement: { anyKey: true }, rateLimited: false },
        },
      },
      async (request) => ({
        ...(await deps.users.get(principalOf(request).tenant, request.params.id)),
        _meta: meta(request),
      }),
    );
  };
}
