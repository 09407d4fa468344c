import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { BacklexDeps } from '../../composition.js';
import { projectView } from '../../projects/project-view.js';
import { projectAnswer, projectParams } from '../project-schemas.js';
import { errorResponses } from '../schemas.js';
import { orgAccessOf } from '../session.js';

export function resumeProjectRoute(deps: BacklexDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().post(
      '/api/org/:slug/projects/:projectSlug/resume',
      {
        schema: {
          tags: ['Projects'],
          summary: 'Resume a project',
          operationId: 'resumeProject',
          description: 'Developers. Only a `paused` project (else 409 INVALID_PROJECT_STATE).',
          params: projectParams,
          response: { ...errorResponses, 200: projectAnswer },
        },
        config: { orgOperation: 'projects.resume' },
      },
      async (request) => {
        const access = orgAccessOf(request);
        const project = await deps.projects.projects.resume(access, request.params.projectSlug);
        return { project: projectView(project, deps.context.publicUrl) };
      },
    );
  };
}
