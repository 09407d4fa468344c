import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { BacklexDeps } from '../../composition.js';
import { errorResponses, okSchema } from '../schemas.js';
import { userOf } from '../session.js';

const accountSchema = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string().nullable(),
  emailVerified: z.boolean(),
  title: z.string().nullable(),
  timezone: z.string().nullable(),
  preferences: z.record(z.string(), z.unknown()).nullable(),
});

const patchBody = z.object({
  name: z.string().trim().min(1).max(120).optional(),
  title: z.string().max(120).optional(),
  timezone: z.string().max(60).optional(),
  preferences: z.record(z.string().max(200), z.unknown()).optional(),
});

export function accountRoutes(deps: BacklexDeps) {
  return async (app: FastifyInstance) => {
    const routes = app.withTypeProvider<ZodTypeProvider>();
    routes.get(
      '/api/account',
      {
        schema: {
          tags: ['Account'],
          summary: "Get the signed-in user's profile",
          operationId: 'getAccount',
          response: { ...errorResponses, 200: z.object({ account: accountSchema }) },
        },
      },
      async (request) => ({ account: await deps.account.get(userOf(request)) }),
    );
    routes.patch(
      '/api/account',
      {
        schema: {
          tags: ['Account'],
          summary: "Update the signed-in user's profile",
          operationId: 'updateAccount',
          description:
            '`timezone` is an IANA name; `preferences` is merged shallowly into the stored object (a key set to null is removed), at most 16 KB once merged.',
          body: patchBody,
          response: { ...errorResponses, 200: okSchema },
        },
      },
      async (request) => {
        await deps.account.update(userOf(request), request.body);
        return { ok: true };
      },
    );
  };
}
