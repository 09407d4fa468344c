import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { BacklexDeps } from '../../composition.js';
import { projectView } from '../../projects/project-view.js';
import { projectParams, projectSchema } from '../project-schemas.js';
import { errorResponses } from '../schemas.js';
import { orgAccessOf } from '../session.js';

export function getProjectRoute(deps: BacklexDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().get(
      '/api/org/:slug/projects/:projectSlug',
      {
        schema: {
          tags: ['Projects'],
          summary: 'Get a project',
          operationId: 'getProject',
          description:
            "Every member. `latestTemplateVersion`: the newest version of the project's template in the registry (null for a template no longer in it). A deleted project is 404.",
          params: projectParams,
          response: {
            ...errorResponses,
            200: z.object({ project: projectSchema, latestTemplateVersion: z.string().nullable() }),
          },
        },
        config: { orgOperation: 'projects.get' },
      },
      async (request) => {
        const { project, latestTemplateVersion } = await deps.projects.projects.get(
          orgAccessOf(request),
          request.params.projectSlug,
        );
        return { project: projectView(project, deps.context.publicUrl), latestTemplateVersion };
      },
    );
  };
}
