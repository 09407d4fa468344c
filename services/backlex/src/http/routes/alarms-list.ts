import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { BacklexDeps } from '../../composition.js';
import { projectParams } from '../project-schemas.js';
import { errorResponses } from '../schemas.js';
import { orgAccessOf } from '../session.js';
import { alarmSchema } from '../usage-schemas.js';

export function listAlarmsRoute(deps: BacklexDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().get(
      '/api/org/:slug/projects/:projectSlug/alarms',
      {
        schema: {
          tags: ['Projects'],
          summary: 'List usage alarms',
          operationId: 'listAlarms',
          description:
            "Every member. The project's alarms, oldest first, each with `usedPct` (this project's use of the org's allowance in the current period) and whether it fired in it.",
          params: projectParams,
          response: { ...errorResponses, 200: z.object({ alarms: z.array(alarmSchema) }) },
        },
        config: { orgOperation: 'alarms.list' },
      },
      async (request) => ({
        alarms: await deps.usage.alarms.list(orgAccessOf(request), request.params.projectSlug),
      }),
    );
  };
}
