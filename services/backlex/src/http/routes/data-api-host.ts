import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { BacklexDeps } from '../../composition.js';
import { requestHostKey } from '../../projects/hostname.js';
import { errors } from '../../errors.js';
import { errorResponses } from '../schemas.js';
import { BODY_LIMIT, queryBody, resultsSchema, tokenOf } from './data-api-query.js';

/**
 * `POST /query` on a verified custom domain: the data API of the project that verified the
 * request's `Host` (port and trailing dot ignored, IDNA-normalized), with the same token and rules
 * as `/api/db/{projectId}/query`. Any other host — the platform's own, an unknown or an unverified
 * domain — is 404, as if the route did not exist; nothing else of the service depends on `Host`.
 */
export function dataApiHostRoute(deps: BacklexDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().post(
      '/query',
      {
        bodyLimit: BODY_LIMIT,
        serializerCompiler: () => (data: unknown) => JSON.stringify(data),
        // The host decides before the body is read: an unknown host costs no parsing.
        onRequest: async (request) => {
          const hostname = requestHostKey(request.hostname);
          const projectId = hostname ? await deps.domains.router.resolve(hostname) : undefined;
          if (!projectId) throw errors.NOT_FOUND();
          (request as { domainProjectId?: string }).domainProjectId = projectId;
        },
        schema: {
          tags: ['Data API'],
          summary: "Run SQL on a project's database through its verified custom domain",
          operationId: 'queryProjectDatabaseByHost',
          'x-extension': true,
          security: [{ projectToken: [] }],
          description:
            "Extension (not in the seed). Served only when the request's `Host` is a custom domain a live project verified (else 404): the same as `POST /api/db/{projectId}/query` for that project — its admin token (`Authorization: Bearer bxk_…`), body, answer, limits and errors.",
          body: queryBody,
          response: { ...errorResponses, 200: resultsSchema, 503: errorResponses[400] },
        },
      },
      async (request) =>
        deps.projects.dataApi.query(
          (request as { domainProjectId?: string }).domainProjectId as string,
          tokenOf(request.headers.authorization),
          undefined,
          request.body,
        ),
    );
  };
}
