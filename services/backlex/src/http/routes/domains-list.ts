import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { BacklexDeps } from '../../composition.js';
import { domainView } from '../../projects/domain-view.js';
import { domainSchema } from '../domain-schemas.js';
import { projectParams } from '../project-schemas.js';
import { errorResponses } from '../schemas.js';
import { orgAccessOf } from '../session.js';

export function listDomainsRoute(deps: BacklexDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().get(
      '/api/org/:slug/projects/:projectSlug/domains',
      {
        schema: {
          tags: ['Projects'],
          summary: 'List custom domains',
          operationId: 'listDomains',
          description: "Every member. The project's custom domains, oldest first.",
          params: projectParams,
          response: { ...errorResponses, 200: z.object({ domains: z.array(domainSchema) }) },
        },
        config: { orgOperation: 'domains.list' },
      },
      async (request) => {
        const rows = await deps.domains.domains.list(orgAccessOf(request), request.params.projectSlug);
        return { domains: rows.map((row) => domainView(row, deps.context.publicUrl)) };
      },
    );
  };
}
