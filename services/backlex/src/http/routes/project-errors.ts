import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { BacklexDeps } from '../../composition.js';
import { tenantErrorView } from '../../projects/project-view.js';
import { projectParams, tenantErrorSchema } from '../project-schemas.js';
import { errorResponses } from '../schemas.js';
import { orgAccessOf } from '../session.js';

export function listProjectErrorsRoute(deps: BacklexDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().get(
      '/api/org/:slug/projects/:projectSlug/errors',
      {
        schema: {
          tags: ['Projects'],
          summary: 'List tenant runtime errors',
          operationId: 'listProjectErrors',
          description:
            "Every member. Failures of the project's data API (and its branches'), grouped by fingerprint (kind + SQL with its literals taken out; parameters are never stored), with a count and first/last seen; most recent first, at most 100.",
          params: projectParams,
          response: { ...errorResponses, 200: z.object({ errors: z.array(tenantErrorSchema) }) },
        },
        config: { orgOperation: 'errors.list' },
      },
      async (request) => {
        const rows = await deps.projects.projects.errors(orgAccessOf(request), request.params.projectSlug);
        return { errors: rows.map(tenantErrorView) };
      },
    );
  };
}
