import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { BacklexDeps } from '../../composition.js';
import { errorResponses, slugParams } from '../schemas.js';
import { orgAccessOf } from '../session.js';

export const memberSchema = z.object({
  id: z.string(),
  userId: z.string().nullable(),
  email: z.string(),
  name: z.string().nullable(),
  role: z.string(),
  status: z.enum(['active', 'invited']),
  joinedAt: z.string().nullable(),
  invitedAt: z.string().nullable(),
  expiresAt: z.string().nullable(),
});

export function listMembersRoute(deps: BacklexDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().get(
      '/api/org/:slug/members',
      {
        schema: {
          tags: ['Organization'],
          summary: 'List org members',
          operationId: 'listMembers',
          description: 'Joined members (`status: "active"`) then pending invitations (`status: "invited"`).',
          params: slugParams,
          response: { ...errorResponses, 200: z.object({ members: z.array(memberSchema) }) },
        },
        config: { orgOperation: 'members.list' },
      },
      async (request) => ({ members: await deps.members.list(orgAccessOf(request)) }),
    );
  };
}
