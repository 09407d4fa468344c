import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { BacklexDeps } from '../../composition.js';
import { branchView } from '../../projects/project-view.js';
import { branchSchema, projectParams } from '../project-schemas.js';
import { errorResponses } from '../schemas.js';
import { orgAccessOf } from '../session.js';

export function listBranchesRoute(deps: BacklexDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().get(
      '/api/org/:slug/projects/:projectSlug/branches',
      {
        schema: {
          tags: ['Projects'],
          summary: 'List branch previews',
          operationId: 'listBranches',
          description: "Every member. The project's live branches, oldest first.",
          params: projectParams,
          response: { ...errorResponses, 200: z.object({ branches: z.array(branchSchema) }) },
        },
        config: { orgOperation: 'branches.list' },
      },
      async (request) => {
        const { project, branches } = await deps.projects.branches.list(
          orgAccessOf(request),
          request.params.projectSlug,
        );
        return { branches: branches.map((row) => branchView(row, project, deps.context.publicUrl)) };
      },
    );
  };
}
