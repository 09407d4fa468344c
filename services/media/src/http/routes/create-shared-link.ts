import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { MediaDeps } from '../../composition.js';
import { principalOf } from '../auth.js';
import {
  errorResponses,
  idParams,
  linkVisibilitySchema,
  sharedLinkJson,
  sharedLinkSchema,
} from '../schemas.js';

const MAX_EXPIRY_HOURS = 24 * 365 * 10;

export async function createSharedLinkRoute(app: FastifyInstance, { deps }: { deps: MediaDeps }) {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  routes.post(
    '/media/:id/share',
    {
      schema: {
        tags: ['shared-links'],
        operationId: 'createSharedLink',
        summary: 'Create Shared Link',
        description:
          "Mints a shared-link token for the given media. The caller must own the media or have download access through it. Visibility defaults to `restricted` (creator-only) — set `public` for anonymous access or `organization` to gate by the caller's org.",
        params: idParams,
        body: z
          .object({
            visibility: linkVisibilitySchema.default('restricted'),
            password: z.string().min(1).max(72).optional(),
            expires_in_hours: z.number().int().min(1).max(MAX_EXPIRY_HOURS).optional(),
            max_downloads: z.number().int().min(1).max(1_000_000_000).optional(),
          })
          .nullish(),
        response: {
          ...errorResponses(400, 401, 403, 404),
          201: sharedLinkSchema.extend({ token: z.string(), share_url: z.string() }),
        },
      },
      onRequest: deps.auth.require('media:download'),
    },
    async (request, reply) => {
      const body = request.body ?? { visibility: 'restricted' as const };
      const { link, token } = await deps.sharing.create(principalOf(request), request.params.id, {
        visibility: body.visibility,
        password: body.password,
        expiresInHours: body.expires_in_hours,
        maxDownloads: body.max_downloads,
      });
      return reply.status(201).send({
        ...sharedLinkJson(link),
        token,
        share_url: `${deps.publicUrl}/share/${token}`,
      });
    },
  );
}
