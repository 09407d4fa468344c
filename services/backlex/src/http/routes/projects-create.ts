import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { BacklexDeps } from '../../composition.js';
import { REGIONS } from '../../orgs/regions.js';
import { projectView } from '../../projects/project-view.js';
import { projectAnswer } from '../project-schemas.js';
import { errorResponses, slugParams } from '../schemas.js';
import { orgAccessOf } from '../session.js';

const createProjectInput = z.object({
  name: z.string().trim().min(2).max(60),
  region: z.enum(REGIONS).optional(),
  dbType: z.enum(['d1']).optional(),
  template: z.string().min(1).max(40).optional(),
});

export function createProjectRoute(deps: BacklexDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().post(
      '/api/org/:slug/projects',
      {
        schema: {
          tags: ['Projects'],
          summary: 'Create a project',
          operationId: 'createProject',
          description:
            "Developers. `region` within the org's residency (default: the org's `defaultRegion`; else 422); `dbType` `d1` (the only engine, a SQLite file); `template` from the registry, `name` or `name@version` (default `blank`, latest version; unknown → 422); over the plan's project limit → 403 PLAN_LIMIT. Answers 201 with `status: provisioning` and the data-API admin token in `project.adminToken` (shown once); the provisioning job makes it `active` (or `failed` with `provisionError`).",
          params: slugParams,
          body: createProjectInput,
          response: { ...errorResponses, 201: projectAnswer },
        },
        config: { orgOperation: 'projects.create' },
      },
      async (request, reply) => {
        const { project, adminToken } = await deps.projects.projects.create(
          orgAccessOf(request),
          request.body,
        );
        return reply.status(201).send({ project: projectView(project, deps.context.publicUrl, adminToken) });
      },
    );
  };
}
