import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { BacklexDeps } from '../../composition.js';
import { projectView } from '../../projects/project-view.js';
import { projectAnswer, projectParams } from '../project-schemas.js';
import { errorResponses } from '../schemas.js';
import { orgAccessOf } from '../session.js';

const updateProjectInput = z.object({
  name: z.string().trim().min(2).max(60).optional(),
  environment: z.enum(['production', 'staging', 'development']).optional(),
});

export function updateProjectRoute(deps: BacklexDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().patch(
      '/api/org/:slug/projects/:projectSlug',
      {
        schema: {
          tags: ['Projects'],
          summary: 'Update a project',
          operationId: 'updateProject',
          description: 'Developers. Renames (the slug never changes) or sets the `environment` label.',
          params: projectParams,
          body: updateProjectInput,
          response: { ...errorResponses, 200: projectAnswer },
        },
        config: { orgOperation: 'projects.update' },
      },
      async (request) => {
        const project = await deps.projects.projects.update(
          orgAccessOf(request),
          request.params.projectSlug,
          request.body,
        );
        return { project: projectView(project, deps.context.publicUrl) };
      },
    );
  };
}
