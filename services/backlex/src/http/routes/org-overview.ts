import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { BacklexDeps } from '../../composition.js';
import { orgView } from '../../orgs/org-view.js';
import { errorResponses, orgSchema, slugParams } from '../schemas.js';
import { orgAccessOf } from '../session.js';

/** The seed's `ProjectSummary`. */
const projectSummarySchema = z.object({
  id: z.string(),
  slug: z.string(),
  name: z.string(),
  status: z.string(),
  environment: z.string(),
  primaryRegion: z.string().nullable(),
});

export function orgOverviewRoute(deps: BacklexDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().get(
      '/api/org/:slug/overview',
      {
        schema: {
          tags: ['Account'],
          summary: 'Organization dashboard payload',
          operationId: 'getOrgOverview',
          description:
            "Every member (and keys that may read). The org, the caller's `role` (present for people, absent for API keys: a key has a scope, not a role), `projectCount` and a summary of each project that is not deleted, oldest first.",
          params: slugParams,
          response: {
            ...errorResponses,
            200: z.object({
              org: orgSchema,
              role: z.string().optional(),
              projectCount: z.number().int(),
              projects: z.array(projectSummarySchema),
            }),
          },
        },
        config: { orgOperation: 'org.overview' },
      },
      async (request) => {
        const access = orgAccessOf(request);
        const rows = await deps.projects.repositories.projects.list(access.org.id);
        return {
          org: orgView(access.org),
          ...(access.role ? { role: access.role } : {}),
          projectCount: rows.length,
          projects: rows.map((row) => ({
            id: row.id,
            slug: row.slug,
            name: row.name,
            status: row.status,
            environment: row.environment,
            primaryRegion: row.region,
          })),
        };
      },
    );
  };
}
