import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { BacklexDeps } from '../../composition.js';
import { backupSchema, backupView } from '../backup-schemas.js';
import { projectParams } from '../project-schemas.js';
import { errorResponses } from '../schemas.js';
import { orgAccessOf } from '../session.js';

export function listBackupsRoute(deps: BacklexDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().get(
      '/api/org/:slug/projects/:projectSlug/backups',
      {
        schema: {
          tags: ['Projects'],
          summary: 'List backups',
          operationId: 'listBackups',
          description:
            "Every member. The project's backups, newest first (at most 200): `manual` ones until the project is purged, `auto` ones within the plan's PITR window.",
          params: projectParams,
          response: { ...errorResponses, 200: z.object({ backups: z.array(backupSchema) }) },
        },
        config: { orgOperation: 'backups.list' },
      },
      async (request) => {
        const rows = await deps.projects.backups.list(orgAccessOf(request), request.params.projectSlug);
        return { backups: rows.map(backupView) };
      },
    );
  };
}
