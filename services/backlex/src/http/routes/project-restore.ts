import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { BacklexDeps } from '../../composition.js';
import { projectParams } from '../project-schemas.js';
import { errorResponses } from '../schemas.js';
import { orgAccessOf } from '../session.js';

const pitrInput = z.object({
  timestamp: z
    .number()
    .int()
    .positive()
    .max(Number.MAX_SAFE_INTEGER)
    .describe('Unix time: below 10^11 read as seconds, else milliseconds.'),
});

export function pointInTimeRestoreRoute(deps: BacklexDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().post(
      '/api/org/:slug/projects/:projectSlug/restore',
      {
        schema: {
          tags: ['Projects'],
          summary: 'Point-in-time restore',
          operationId: 'pointInTimeRestore',
          description:
            "Admins (no API key); the project must be `active` or `paused` (409). Restores the database as it was at `timestamp` from its continuous history (archived WAL frames over base snapshots; no backup needed). Valid: from max(now − the plan's PITR window, the project's creation) to now, else 422 VALIDATION with the range in `details` (`validFrom`, `validTo`). `restoredTo` is the ISO time of the last commit applied. The swap is itself a point of the history: restoring to a time before it undoes it. Written to the deploys log as `restore`.",
          params: projectParams,
          body: pitrInput,
          response: { ...errorResponses, 200: z.object({ restoredTo: z.string() }) },
        },
        config: { orgOperation: 'projects.pitrRestore' },
      },
      async (request) =>
        deps.projects.pointInTime.restore(
          orgAccessOf(request),
          request.params.projectSlug,
          request.body.timestamp,
        ),
    );
  };
}
