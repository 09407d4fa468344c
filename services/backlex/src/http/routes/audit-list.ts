import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { BacklexDeps } from '../../composition.js';
import { errorResponses, slugParams } from '../schemas.js';
import { orgAccessOf } from '../session.js';

const ACTION = /^[a-z][a-zA-Z0-9_]*(\.[a-z][a-zA-Z0-9_]*)*$/;

/** The seed types these as strings: parsed here, anything else is 422. */
const integer = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,9}$/, 'expected an integer')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

const instant = z
  .union([z.iso.datetime({ offset: true }), z.iso.date()], {
    error: 'expected an ISO-8601 date or date-time',
  })
  .transform((value) => new Date(value));

const query = z.object({
  action: z
    .string()
    .max(100)
    .refine(
      (value) => ACTION.test(value.endsWith('.*') ? value.slice(0, -2) : value),
      'expected an action or prefix.*',
    )
    .optional(),
  from: instant.optional(),
  to: instant.optional(),
  limit: integer(1, 200).optional(),
  offset: integer(0, 1_000_000).optional(),
});

const auditEventSchema = z.object({
  id: z.string(),
  action: z.string(),
  actor: z.object({ type: z.string(), id: z.string().nullable(), label: z.string().nullable() }),
  target: z.object({ type: z.string(), id: z.string() }).nullable(),
  ip: z.string().nullable(),
  data: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
});

export function listAuditRoute(deps: BacklexDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().get(
      '/api/org/:slug/audit',
      {
        schema: {
          tags: ['Organization'],
          summary: 'Org audit log',
          operationId: 'listAudit',
          description:
            'Admins. Newest first. `action` exact or `prefix.*`; `from`/`to` ISO-8601 (inclusive); `limit` 1–200 (50); `offset`.',
          params: slugParams,
          querystring: query,
          response: { ...errorResponses, 200: z.object({ events: z.array(auditEventSchema) }) },
        },
        config: { orgOperation: 'audit.list' },
      },
      async (request) => {
        const { action, from, to, limit, offset } = request.query;
        const events = await deps.audit.list(orgAccessOf(request), {
          ...(action
            ? { action: action.endsWith('.*') ? { prefix: action.slice(0, -2) } : { exact: action } }
            : {}),
          ...(from ? { from } : {}),
          ...(to ? { to } : {}),
          limit: limit ?? 50,
          offset: offset ?? 0,
        });
        return { events };
      },
    );
  };
}
