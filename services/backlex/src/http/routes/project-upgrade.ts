import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { BacklexDeps } from '../../composition.js';
import { projectParams } from '../project-schemas.js';
import { errorResponses } from '../schemas.js';
import { orgAccessOf } from '../session.js';

export function upgradeProjectRoute(deps: BacklexDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().post(
      '/api/org/:slug/projects/:projectSlug/upgrade',
      {
        schema: {
          tags: ['Projects'],
          summary: 'Upgrade the instance to the latest worker template',
          operationId: 'upgradeProject',
          description:
            "Developers; the project must be `active` (409). Applies the template's migrations from the applied version to `version` (default: the latest; unknown → 422) in one transaction. Same or lower version → `skipped` + `reason`; a failing migration → `failed` + `error` and the database unchanged; all three are 200. Upgrades are written to the deploys log.",
          params: projectParams,
          querystring: z.object({ version: z.string().min(1).max(20).optional() }),
          response: {
            ...errorResponses,
            200: z.object({
              status: z.enum(['upgraded', 'skipped', 'failed']),
              from: z.string().nullable(),
              to: z.string(),
              reason: z.string().optional(),
              error: z.string().optional(),
            }),
          },
        },
        config: { orgOperation: 'projects.upgrade' },
      },
      async (request) =>
        deps.projects.projects.upgrade(
          orgAccessOf(request),
          request.params.projectSlug,
          request.query.version,
        ),
    );
  };
}
