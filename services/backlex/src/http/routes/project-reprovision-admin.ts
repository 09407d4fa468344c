import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { BacklexDeps } from '../../composition.js';
import { projectView } from '../../projects/project-view.js';
import { projectAnswer, projectParams } from '../project-schemas.js';
import { errorResponses } from '../schemas.js';
import { orgAccessOf } from '../session.js';

export function reprovisionAdminRoute(deps: BacklexDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().post(
      '/api/org/:slug/projects/:projectSlug/reprovision-admin',
      {
        schema: {
          tags: ['Projects'],
          summary: 'Re-generate the project admin credential',
          operationId: 'reprovisionAdmin',
          description:
            'Admins. A new data-API admin token, in `project.adminToken` of this answer only; the old token stops working at once.',
          params: projectParams,
          response: { ...errorResponses, 200: projectAnswer },
        },
        config: { orgOperation: 'projects.reprovisionAdmin' },
      },
      async (request) => {
        const access = orgAccessOf(request);
        const { project, adminToken } = await deps.projects.projects.reprovisionAdmin(
          access,
          request.params.projectSlug,
        );
        return { project: projectView(project, deps.context.publicUrl, adminToken) };
      },
    );
  };
}
