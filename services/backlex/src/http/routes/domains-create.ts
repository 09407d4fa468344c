import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { BacklexDeps } from '../../composition.js';
import { domainView } from '../../projects/domain-view.js';
import { domainAnswer } from '../domain-schemas.js';
import { projectParams } from '../project-schemas.js';
import { errorResponses } from '../schemas.js';
import { orgAccessOf } from '../session.js';

const domainInput = z.object({ hostname: z.string().min(3).max(253) });

export function createDomainRoute(deps: BacklexDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().post(
      '/api/org/:slug/projects/:projectSlug/domains',
      {
        schema: {
          tags: ['Projects'],
          summary: 'Add a custom domain',
          operationId: 'createDomain',
          description:
            "Developers. `hostname` is IDNA-normalized (ASCII form, lowercase); it must be a DNS name of at least two labels, not an IP address, not the platform's host or a subdomain of it (else 422 naming `hostname`). The project already has it → 409 DOMAIN_EXISTS; another project verified it → 409 DOMAIN_TAKEN. The answer shows the TXT record to publish (`_backlex-challenge.<hostname>`) and the CNAME target; `status` is `pending` until verify sees the record.",
          params: projectParams,
          body: domainInput,
          response: { ...errorResponses, 201: domainAnswer },
        },
        config: { orgOperation: 'domains.create' },
      },
      async (request, reply) => {
        const domain = await deps.domains.domains.add(
          orgAccessOf(request),
          request.params.projectSlug,
          request.body,
        );
        return reply.status(201).send({ domain: domainView(domain, deps.context.publicUrl) });
      },
    );
  };
}
