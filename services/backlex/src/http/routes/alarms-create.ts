import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { BacklexDeps } from '../../composition.js';
import { projectParams } from '../project-schemas.js';
import { errorResponses } from '../schemas.js';
import { orgAccessOf } from '../session.js';
import { alarmSchema } from '../usage-schemas.js';

const alarmInput = z.object({
  metric: z.enum(['requests', 'd1', 'r2']),
  thresholdPct: z.number().int().min(1).max(100),
});

export function createAlarmRoute(deps: BacklexDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().post(
      '/api/org/:slug/projects/:projectSlug/alarms',
      {
        schema: {
          tags: ['Projects'],
          summary: 'Create a usage alarm',
          operationId: 'createAlarm',
          description:
            "Developers. Fires `alarm.fired` (notifications to admins and owners, webhooks, integrations) once per billing period when this project has used `thresholdPct` % of the org's `metric` allowance (plan + packs). The same metric and threshold twice → 409 ALARM_EXISTS.",
          params: projectParams,
          body: alarmInput,
          response: { ...errorResponses, 201: z.object({ alarm: alarmSchema }) },
        },
        config: { orgOperation: 'alarms.create' },
      },
      async (request, reply) => {
        const alarm = await deps.usage.alarms.create(
          orgAccessOf(request),
          request.params.projectSlug,
          request.body,
        );
        return reply.status(201).send({ alarm });
      },
    );
  };
}
