import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { BacklexDeps } from '../../composition.js';
import { backupSchema, backupView } from '../backup-schemas.js';
import { projectParams } from '../project-schemas.js';
import { errorResponses } from '../schemas.js';
import { orgAccessOf } from '../session.js';

const backupInput = z.object({ kind: z.enum(['auto', 'manual']).optional() }).optional();

export function createBackupRoute(deps: BacklexDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().post(
      '/api/org/:slug/projects/:projectSlug/backups',
      {
        schema: {
          tags: ['Projects'],
          summary: 'Create a backup',
          operationId: 'createBackup',
          description:
            "Developers; the project must be `active` or `paused` (409). Answers 201 with the backup `pending`; a job checkpoints the database under its write lock, stores the copy and sets `completed` with `sizeBytes` and `sha256` (or `failed` with `error`). `kind` defaults to `manual` (kept until the project is purged); `auto` backups follow the plan's PITR window.",
          params: projectParams,
          body: backupInput,
          response: { ...errorResponses, 201: z.object({ backup: backupSchema }) },
        },
        config: { orgOperation: 'backups.create' },
      },
      async (request, reply) => {
        const backup = await deps.projects.backups.create(
          orgAccessOf(request),
          request.params.projectSlug,
          request.body?.kind ?? 'manual',
        );
        return reply.status(201).send({ backup: backupView(backup) });
      },
    );
  };
}
