import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { BacklexDeps } from '../../composition.js';
import { errorResponses, okSchema, slugParams } from '../schemas.js';
import { orgAccessOf } from '../session.js';

/** `GET /org/{slug}/scim`, `POST/DELETE /org/{slug}/scim/token` (admins). */
export function scimRoutes(deps: BacklexDeps) {
  return async (app: FastifyInstance) => {
    const typed = app.withTypeProvider<ZodTypeProvider>();
    typed.get(
      '/api/org/:slug/scim',
      {
        schema: {
          tags: ['Organization'],
          summary: 'SCIM provisioning status',
          operationId: 'getScim',
          params: slugParams,
          response: {
            ...errorResponses,
            200: z.object({
              scimBaseUrl: z.string(),
              enabled: z.boolean(),
              tokenCreatedAt: z.string().nullable(),
              lastUsedAt: z.string().nullable(),
              users: z.number(),
              groups: z.number(),
            }),
          },
        },
        config: { orgOperation: 'scim.get' },
      },
      async (request) => deps.scim.get(orgAccessOf(request)),
    );
    typed.post(
      '/api/org/:slug/scim/token',
      {
        schema: {
          tags: ['Organization'],
          summary: 'Mint a SCIM bearer token',
          operationId: 'mintScimToken',
          description: 'Shown once; replaces the previous token.',
          params: slugParams,
          response: { ...errorResponses, 201: z.object({ token: z.string() }) },
        },
        config: { orgOperation: 'scim.mintToken' },
      },
      async (request, reply) => reply.status(201).send({ token: await deps.scim.mint(orgAccessOf(request)) }),
    );
    typed.delete(
      '/api/org/:slug/scim/token',
      {
        schema: {
          tags: ['Organization'],
          summary: 'Revoke SCIM provisioning',
          operationId: 'revokeScimToken',
          description: 'Provisioned members stay; idempotent.',
          params: slugParams,
          response: { ...errorResponses, 200: okSchema },
        },
        config: { orgOperation: 'scim.revokeToken' },
      },
      async (request) => {
        await deps.scim.revoke(orgAccessOf(request));
        return { ok: true };
      },
    );
  };
}
