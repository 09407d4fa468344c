import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { BacklexDeps } from '../../composition.js';
import { projectView } from '../../projects/project-view.js';
import { projectAnswer, projectParams } from '../project-schemas.js';
import { errorResponses } from '../schemas.js';
import { orgAccessOf } from '../session.js';

export function pauseProjectRoute(deps: BacklexDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().post(
      '/api/org/:slug/projects/:projectSlug/pause',
      {
        schema: {
          tags: ['Projects'],
          summary: 'Pause a project',
          operationId: 'pauseProject',
          description:
            'Developers. Only an `active` project (else 409 INVALID_PROJECT_STATE); its data API then answers 503 PROJECT_PAUSED until it is resumed.',
          params: projectParams,
          response: { ...errorResponses, 200: projectAnswer },
        },
        config: { orgOperation: 'projects.pause' },
      },
      async (request) => {
        const access = orgAccessOf(request);
        const project = await deps.projects.projects.pause(access, request.params.projectSlug);
        return { project: projectView(project, deps.context.publicUrl) };
      },
    );
  };
}
