import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { VerifactDeps } from '../../composition.js';
import { triageJson } from '../../triage/triage.js';
import { principalOf, meta } from '../auth.js';
import { errorResponses, idParams, triageResultSchema } from '../schemas.js';

export function getTriageRoute(deps: VerifactDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().get(
      '/api/v1/triage/:id',
      {
        schema: {
          tags: ['Verification'],
          summary: 'Fetch a stored triage result',
          operationId: 'getTriageResult',
          params: idParams,
          response: { ...errorResponses(401, 404), 200: triageResultSchema },
        },
        // The seed lists neither 403 nor 429 here: any key of the tenant, not rate-counted.
        config: {
          access: { operation: 'verifact.triage.get', requirement: { anyKey: true }, rateLimited: false },
        },
      },
      async (request) => ({
        ...triageJson(await deps.triage.get(principalOf(request).tenant, request.params.id)),
        _meta: meta(request),
      }),
    );
  };
}
