import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { BacklexDeps } from '../../composition.js';
import { domainView } from '../../projects/domain-view.js';
import { domainAnswer } from '../domain-schemas.js';
import { projectItemParams } from '../project-schemas.js';
import { errorResponses } from '../schemas.js';
import { orgAccessOf } from '../session.js';

export function verifyDomainRoute(deps: BacklexDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().post(
      '/api/org/:slug/projects/:projectSlug/domains/:id/verify',
      {
        schema: {
          tags: ['Projects'],
          summary: 'Verify a custom domain',
          operationId: 'verifyDomain',
          description:
            "Developers. Looks up the TXT record `_backlex-challenge.<hostname>` now: 200 `verified` (+ `verifiedAt`) when it holds the token, else 200 `pending` with `lastError` saying what DNS answered. A verified domain stays verified. Another project verified the hostname first → 409 DOMAIN_TAKEN. Once verified, `POST <dataUrl>/query` serves the project's data API.",
          params: projectItemParams,
          response: { ...errorResponses, 200: domainAnswer },
        },
        config: { orgOperation: 'domains.verify' },
      },
      async (request) => {
        const domain = await deps.domains.domains.verify(
          orgAccessOf(request),
          request.params.projectSlug,
          request.params.id,
        );
        return { domain: domainView(domain, deps.context.publicUrl) };
      },
    );
  };
}
