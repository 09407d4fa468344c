import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { BacklexDeps } from '../../composition.js';
import { REGIONS, RESIDENCIES } from '../../orgs/regions.js';
import { errorResponses, orgSchema } from '../schemas.js';
import { userOf } from '../session.js';

const body = z.object({
  name: z.string().trim().min(2).max(80),
  residency: z.enum(RESIDENCIES).optional(),
  defaultRegion: z.enum(REGIONS).optional(),
  purpose: z.string().max(40).optional(),
  teamSize: z.string().max(40).optional(),
});

export function createOrgRoute(deps: BacklexDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().post(
      '/api/org',
      {
        schema: {
          tags: ['Account'],
          summary: 'Create an organization',
          operationId: 'createOrg',
          description:
            'The slug is derived from the name (ASCII, immutable, `-2`… on collision); the caller is the owner; plan `free`. Residency `eu` allows fra/ams, `tr` ist, `global` all (defaults fra/ist/iad). 10 a day per user.',
          body,
          response: { ...errorResponses, 201: z.object({ org: orgSchema }) },
        },
      },
      async (request, reply) => {
        const org = await deps.orgs.create(userOf(request), request.body, request.ip);
        return reply.status(201).send({ org });
      },
    );
  };
}
