import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { BacklexDeps } from '../../composition.js';
import { projectItemParams } from '../project-schemas.js';
import { errorResponses, okSchema } from '../schemas.js';
import { orgAccessOf } from '../session.js';

export function deleteBranchRoute(deps: BacklexDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().delete(
      '/api/org/:slug/projects/:projectSlug/branches/:id',
      {
        schema: {
          tags: ['Projects'],
          summary: 'Delete a branch preview',
          operationId: 'deleteBranch',
          description:
            "Developers (the roles matrix). The branch and its file are removed; its name and PR number are free again. Another project's branch id is 404.",
          params: projectItemParams,
          response: { ...errorResponses, 200: okSchema },
        },
        config: { orgOperation: 'branches.delete' },
      },
      async (request) => {
        await deps.projects.branches.remove(
          orgAccessOf(request),
          request.params.projectSlug,
          request.params.id,
        );
        return { ok: true };
      },
    );
  };
}
