import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ROLES } from '../../auth/roles.js';
import type { BacklexDeps } from '../../composition.js';
import { errorResponses, okSchema, slugParams } from '../schemas.js';
import { orgAccessOf } from '../session.js';

export const memberIdParams = slugParams.extend({ id: z.string().min(1).max(100) });

export function updateMemberRoute(deps: BacklexDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().patch(
      '/api/org/:slug/members/:id',
      {
        schema: {
          tags: ['Organization'],
          summary: "Change a member's role",
          operationId: 'updateMember',
          description:
            'Admins; only an owner grants or changes `owner`; the last owner cannot be demoted (409 LAST_OWNER). The id of a pending invitation changes its role.',
          params: memberIdParams,
          body: z.object({ role: z.enum(ROLES) }),
          response: { ...errorResponses, 200: okSchema },
        },
        config: { orgOperation: 'members.update' },
      },
      async (request) => {
        await deps.members.changeRole(orgAccessOf(request), request.params.id, request.body.role);
        return { ok: true };
      },
    );
  };
}
