import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { BacklexDeps } from '../../composition.js';
import { backupSchema, backupView } from '../backup-schemas.js';
import { projectItemParams } from '../project-schemas.js';
import { errorResponses } from '../schemas.js';
import { orgAccessOf } from '../session.js';

export function restoreBackupRoute(deps: BacklexDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().post(
      '/api/org/:slug/projects/:projectSlug/backups/:id/restore',
      {
        schema: {
          tags: ['Projects'],
          summary: 'Restore a backup',
          operationId: 'restoreBackup',
          description:
            "Admins (no API key); the project must be `active` or `paused` (409) and the backup `completed` (409 BACKUP_NOT_READY). The stored copy is re-hashed first: a mismatch is 409 BACKUP_CORRUPT and the live database is untouched. Otherwise it is swapped in atomically (the live file then hashes to the backup's `sha256`) and the backup is answered with `restoredAt`. The swap is a point of the project's history: restoring to a time before it undoes it. Written to the deploys log as `restore`.",
          params: projectItemParams,
          response: { ...errorResponses, 200: z.object({ backup: backupSchema }) },
        },
        config: { orgOperation: 'backups.restore' },
      },
      async (request) => {
        const backup = await deps.projects.backups.restore(
          orgAccessOf(request),
          request.params.projectSlug,
          request.params.id,
        );
        return { backup: backupView(backup) };
      },
    );
  };
}
