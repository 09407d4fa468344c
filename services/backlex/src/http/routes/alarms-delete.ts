import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { BacklexDeps } from '../../composition.js';
import { projectItemParams } from '../project-schemas.js';
import { errorResponses, okSchema } from '../schemas.js';
import { orgAccessOf } from '../session.js';

export function deleteAlarmRoute(deps: BacklexDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().delete(
      '/api/org/:slug/projects/:projectSlug/alarms/:id',
      {
        schema: {
          tags: ['Projects'],
          summary: 'Delete a usage alarm',
          operationId: 'deleteAlarm',
          description: "Admins and owners. Another project's alarm id is 404.",
          params: projectItemParams,
          response: { ...errorResponses, 200: okSchema },
        },
        config: { orgOperation: 'alarms.delete' },
      },
      async (request) => {
        await deps.usage.alarms.remove(orgAccessOf(request), request.params.projectSlug, request.params.id);
        return { ok: true };
      },
    );
  };
}
