import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { BacklexDeps } from '../../composition.js';
import { branchView } from '../../projects/project-view.js';
import { branchSchema, projectParams } from '../project-schemas.js';
import { errorResponses } from '../schemas.js';
import { orgAccessOf } from '../session.js';

const branchInput = z.object({
  name: z.string().min(1).max(63),
  prNumber: z.number().int().positive().max(2_147_483_647).nullable().optional(),
});

export function createBranchRoute(deps: BacklexDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().post(
      '/api/org/:slug/projects/:projectSlug/branches',
      {
        schema: {
          tags: ['Projects'],
          summary: 'Create a branch preview',
          operationId: 'createBranch',
          description:
            "Developers; the project must be `active` (409). A checkpointed copy of the project's database with its own data API (`dataUrl` + `/query`, the project's admin token); writes to it never reach the project. `name`: a lowercase DNS label (else 422), unique among the project's live branches (409 BRANCH_NAME_TAKEN); `prNumber` unique among them too (409 PR_NUMBER_TAKEN); over the plan's branches per project → 403 PLAN_LIMIT.",
          params: projectParams,
          body: branchInput,
          response: { ...errorResponses, 201: z.object({ branch: branchSchema }) },
        },
        config: { orgOperation: 'branches.create' },
      },
      async (request, reply) => {
        const { project, branch } = await deps.projects.branches.create(
          orgAccessOf(request),
          request.params.projectSlug,
          request.body,
        );
        return reply.status(201).send({ branch: branchView(branch, project, deps.context.publicUrl) });
      },
    );
  };
}
