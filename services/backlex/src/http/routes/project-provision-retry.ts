import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { BacklexDeps } from '../../composition.js';
import { projectView } from '../../projects/project-view.js';
import { projectAnswer, projectParams } from '../project-schemas.js';
import { errorResponses } from '../schemas.js';
import { orgAccessOf } from '../session.js';

export function provisionRetryRoute(deps: BacklexDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().post(
      '/api/org/:slug/projects/:projectSlug/provision-retry',
      {
        schema: {
          tags: ['Projects'],
          summary: 'Retry provisioning for a failed project',
          operationId: 'retryProvisioning',
          description:
            'Developers. Only a `failed` project (else 409 INVALID_PROJECT_STATE): back to `provisioning`, a new provisioning run starts from a fresh file.',
          params: projectParams,
          response: { ...errorResponses, 200: projectAnswer },
        },
        config: { orgOperation: 'projects.provisionRetry' },
      },
      async (request) => {
        const access = orgAccessOf(request);
        const project = await deps.projects.projects.provisionRetry(access, request.params.projectSlug);
        return { project: projectView(project, deps.context.publicUrl) };
      },
    );
  };
}
