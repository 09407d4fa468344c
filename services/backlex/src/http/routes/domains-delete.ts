import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { BacklexDeps } from '../../composition.js';
import { projectItemParams } from '../project-schemas.js';
import { errorResponses, okSchema } from '../schemas.js';
import { orgAccessOf } from '../session.js';

export function deleteDomainRoute(deps: BacklexDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().delete(
      '/api/org/:slug/projects/:projectSlug/domains/:id',
      {
        schema: {
          tags: ['Projects'],
          summary: 'Remove a custom domain',
          operationId: 'deleteDomain',
          description:
            "Admins. The hostname stops serving the project's data API at once (every process) and is free for any project. Another project's domain id → 404.",
          params: projectItemParams,
          response: { ...errorResponses, 200: okSchema },
        },
        config: { orgOperation: 'domains.delete' },
      },
      async (request) => {
        await deps.domains.domains.remove(
          orgAccessOf(request),
          request.params.projectSlug,
          request.params.id,
        );
        return { ok: true };
      },
    );
  };
}
