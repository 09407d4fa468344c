import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { VerifactDeps } from '../../composition.js';
import { principalOf, meta, metaSchema } from '../auth.js';
import { errorResponses, userSchema } from '../schemas.js';

const body = z.object({
  email: z.email().max(254),
  name: z.string().trim().min(1).max(200),
  role: z.enum(['surveyor', 'adjuster', 'siu']),
  district: z.string().max(200).optional(),
  surveyorLicense: z.string().max(100).optional(),
});

export function createUserRoute(deps: VerifactDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().post(
      '/api/v1/users',
      {
        schema: {
          tags: ['Users'],
          summary: 'Create a surveyor / adjuster / siu user',
          operationId: 'createUser',
          body,
          response: {
            ...errorResponses(400, 401, 403, 409, 422),
            201: userSchema.extend({
              temporaryPassword: z.string(),
              welcomeEmailSent: z.boolean(),
              _meta: metaSchema,
            }),
          },
        },
        config: {
          access: {
            operation: 'verifact.users.create',
            requirement: { scope: 'users:write' },
            rateLimited: false,
          },
        },
      },
      async (request, reply) => {
        const created = await deps.users.create(principalOf(request).tenant, request.body);
        return reply.status(201).send({ ...created, _meta: meta(request) });
      },
    );
  };
}
