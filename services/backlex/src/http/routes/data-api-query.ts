import { bearerToken } from '@trustplane/kernel';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { BacklexDeps } from '../../composition.js';
import { errorResponses } from '../schemas.js';

/** JSON carries no blobs: a bound value is null, a number, a string or a boolean (bound as 1/0). */
const sqlValue = z.union([z.null(), z.number(), z.string(), z.boolean()]);
const statement = z.strictObject({
  sql: z.string().min(1).max(100_000),
  params: z.union([z.array(sqlValue).max(999), z.record(z.string().min(1).max(100), sqlValue)]).optional(),
});
export const queryBody = z.union([statement, z.strictObject({ batch: z.array(statement).min(1).max(100) })]);

export const resultsSchema = z.object({
  results: z.array(
    z.object({
      columns: z.array(z.string()),
      rows: z.array(z.array(z.unknown())),
      rowsAffected: z.number().int(),
      lastInsertRowid: z.union([z.number(), z.string()]).nullable(),
    }),
  ),
});

/** A request body is at most 1 MiB (over it: 400 BAD_REQUEST, like every body of the service). */
export const BODY_LIMIT = 1024 * 1024;

const description =
  "Extension (not in the seed). `Authorization: Bearer bxk_…`: the project's admin token, which opens only this project and its branches (else 401). Body `{ sql, params }` (one statement; `params` positional array or object by name) or `{ batch: [{ sql, params }, …] }` (1–100 statements, one transaction: all or nothing) → `{ results: [{ columns, rows, rowsAffected, lastInsertRowid }] }`, rows as arrays in `columns` order. One statement per item; ATTACH, DETACH, VACUUM, transaction control and non-read-only PRAGMAs → 400 STATEMENT_FORBIDDEN; over 10,000 rows or 8 MB → 400 RESULT_TOO_LARGE; past 5 s → 400 STATEMENT_TIMEOUT; SQLite's refusal → 400 SQL_ERROR. Paused → 503 PROJECT_PAUSED; provisioning or failed → 409 PROJECT_NOT_READY; deleted or unknown → 404.";

/** `POST /api/db/{projectId}/query` and `…/branches/{name}/query`: the project's data API. */
export function dataApiRoutes(deps: BacklexDeps) {
  return async (app: FastifyInstance) => {
    const typed = app.withTypeProvider<ZodTypeProvider>();
    // The access state cache LISTENs before the first request (a failure to connect is retried
    // in the background; until then every request reads PostgreSQL).
    app.addHook('onReady', () => deps.projects.access.start());
    const common = {
      bodyLimit: BODY_LIMIT,
      // The answer is built by the hosts in exactly this shape; checking up to 8 MB of rows
      // against the schema on every request would cost more than the query. The schema stays
      // for /openapi.json.
      serializerCompiler: () => (data: unknown) => JSON.stringify(data),
    };
    typed.post(
      '/api/db/:projectId/query',
      {
        ...common,
        schema: {
          tags: ['Data API'],
          summary: "Run SQL on a project's database",
          operationId: 'queryProjectDatabase',
          'x-extension': true,
          security: [{ projectToken: [] }],
          description,
          params: z.object({ projectId: z.string().min(1).max(100) }),
          body: queryBody,
          response: { ...errorResponses, 200: resultsSchema, 503: errorResponses[400] },
        },
      },
      async (request) =>
        deps.projects.dataApi.query(
          request.params.projectId,
          tokenOf(request.headers.authorization),
          undefined,
          request.body,
        ),
    );
    typed.post(
      '/api/db/:projectId/branches/:name/query',
      {
        ...common,
        schema: {
          tags: ['Data API'],
          summary: "Run SQL on a branch's database",
          operationId: 'queryBranchDatabase',
          'x-extension': true,
          security: [{ projectToken: [] }],
          description: `The same as the project's data API, on the live branch \`{name}\` (unknown → 404), with the project's admin token. ${description}`,
          params: z.object({ projectId: z.string().min(1).max(100), name: z.string().min(1).max(63) }),
          body: queryBody,
          response: { ...errorResponses, 200: resultsSchema, 503: errorResponses[400] },
        },
      },
      async (request) =>
        deps.projects.dataApi.query(
          request.params.projectId,
          tokenOf(request.headers.authorization),
          request.params.name,
          request.body,
        ),
    );
  };
}

export function tokenOf(authorization: string | undefined): string | undefined {
  return authorization ? bearerToken(authorization) : undefined;
}
