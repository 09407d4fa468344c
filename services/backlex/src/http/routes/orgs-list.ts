import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { BacklexDeps } from '../../composition.js';
import { errorResponses, orgSchema } from '../schemas.js';
import { userOf } from '../session.js';

export function listOrgsRoute(deps: BacklexDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().get(
      '/api/orgs',
      {
        schema: {
          tags: ['Account'],
          summary: "List the signed-in user's organizations",
          operationId: 'listOrgs',
          response: {
            ...errorResponses,
            200: z.object({ orgs: z.array(orgSchema.extend({ role: z.string() })) }),
          },
        },
      },
      async (request) => ({ orgs: await deps.orgs.list(userOf(request)) }),
    );
  };
}
