import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { VerifactDeps } from '../../composition.js';
import { errors } from '../../errors.js';
import { principalOf, meta } from '../auth.js';
import { errorResponses, idParams, keyedUser } from '../schemas.js';

const body = z.object({
  name: z.string().trim().min(1).max(200).optional(),
  district: z.string().max(200).optional(),
  surveyorLicense: z.string().max(100).optional(),
  active: z.boolean().optional(),
  // Accepted only to be refused by name (immutable via API).
  email: z.unknown().optional(),
  role: z.unknown().optional(),
});

export function updateUserRoute(deps: VerifactDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().patch(
      '/api/v1/users/:id',
      {
        schema: {
          tags: ['Users'],
          summary: 'Update or deactivate a user',
          operationId: 'updateUser',
          params: idParams,
          body,
          response: { ...errorResponses(400, 401, 404), 200: keyedUser },
        },
        config: {
          access: {
            operation: 'verifact.users.update',
            requirement: { scope: 'users:write' },
            rateLimited: false,
          },
        },
      },
      async (request) => {
        const { email, role, ...fields } = request.body;
        if (email !== undefined || role !== undefined) {
          throw errors.validation('email and role are immutable via the API; change them in the portal');
        }
        if (Object.values(fields).every((value) => value === undefined)) throw errors.noUpdatableFields();
        return {
          ...(await deps.users.update(principalOf(request).tenant, request.params.id, fields)),
          _meta: meta(request),
        };
      },
    );
  };
}
