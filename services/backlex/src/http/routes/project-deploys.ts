import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { BacklexDeps } from '../../composition.js';
import { deployView } from '../../projects/project-view.js';
import { deploySchema, projectParams } from '../project-schemas.js';
import { errorResponses } from '../schemas.js';
import { orgAccessOf } from '../session.js';

export function listDeploysRoute(deps: BacklexDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().get(
      '/api/org/:slug/projects/:projectSlug/deploys',
      {
        schema: {
          tags: ['Projects'],
          summary: 'List deploys',
          operationId: 'listDeploys',
          description:
            'Every member. The rollout log of the project and its branches (provisioning, template upgrades, restores), newest first, at most 100.',
          params: projectParams,
          response: { ...errorResponses, 200: z.object({ deploys: z.array(deploySchema) }) },
        },
        config: { orgOperation: 'deploys.list' },
      },
      async (request) => {
        const rows = await deps.projects.projects.deploys(orgAccessOf(request), request.params.projectSlug);
        return { deploys: rows.map(deployView) };
      },
    );
  };
}
