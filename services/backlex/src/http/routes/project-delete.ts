import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { BacklexDeps } from '../../composition.js';
import { projectParams } from '../project-schemas.js';
import { errorResponses, okSchema } from '../schemas.js';
import { orgAccessOf } from '../session.js';

export function deleteProjectRoute(deps: BacklexDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().delete(
      '/api/org/:slug/projects/:projectSlug',
      {
        schema: {
          tags: ['Projects'],
          summary: 'Soft-delete a project',
          operationId: 'deleteProject',
          description:
            'Admins. `status: deleted`: 404 on every route and its data API at once, the slug free for a new project; the files (project and branches) are removed 7 days later; usage history keeps it.',
          params: projectParams,
          response: { ...errorResponses, 200: okSchema },
        },
        config: { orgOperation: 'projects.delete' },
      },
      async (request) => {
        await deps.projects.projects.remove(orgAccessOf(request), request.params.projectSlug);
        return { ok: true };
      },
    );
  };
}
