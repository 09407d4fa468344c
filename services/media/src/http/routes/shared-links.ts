import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { MediaDeps } from '../../composition.js';
import { optionalPrincipalOf, principalOf } from '../auth.js';
import {
  idParams,
  linkVisibilitySchema,
  pageMeta,
  paged,
  paginationQuery,
  sharedLinkJson,
  sharedLinkSchema,
} from '../schemas.js';
import { sendMedia } from '../send-media.js';

const MAX_EXPIRY_HOURS = 24 * 365 * 10;

export async function sharedLinkRoutes(app: FastifyInstance, { deps }: { deps: MediaDeps }) {
  const routes = app.withTypeProvider<ZodTypeProvider>();

  routes.post(
    '/media/:id/share',
    {
      schema: {
        tags: ['shared-links'],
        summary: 'Create Shared Link',
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

  routes.get(
    '/share/:token',
    {
      schema: {
        tags: ['shared-links'],
        summary: 'Access Shared Link',
        description:
          'Public. The password may be sent as `?password=` (as documented) or, to keep it out of URLs and logs, as the `X-Share-Password` header.',
        params: z.object({ token: z.string().min(1).max(200) }),
        querystring: z.object({ password: z.string().max(200).optional() }),
        headers: z.object({ 'x-share-password': z.string().max(200).optional() }),
      },
      onRequest: deps.auth.optional(),
    },
    async (request, reply) => {
      const password = request.headers['x-share-password'] ?? request.query.password;
      const { link, media } = await deps.sharing.resolve(
        request.params.token,
        optionalPrincipalOf(request),
        password,
      );
      return sendMedia(reply, {
        objects: deps.objects,
        logger: request.log,
        media,
        key: media.storage_path,
        size: media.size_bytes,
        mimeType: media.mime_type,
        checksum: media.checksum,
        rangeHeader: undefined,
        // Every request through a link counts against its cap, so ranges are not offered here.
        allowRanges: false,
        beforeSend: () => deps.sharing.claimDownload(link),
        cacheControl: 'private, no-store',
      });
    },
  );

  routes.get(
    '/shared-links',
    {
      schema: {
        tags: ['shared-links'],
        summary: 'List My Shared Links',
        querystring: paginationQuery,
        response: { 200: z.object({ items: z.array(sharedLinkSchema), ...pageMeta }) },
      },
      onRequest: deps.auth.require('media:download'),
    },
    async (request) => {
      const { page, per_page: perPage } = request.query;
      const { items, total } = await deps.sharing.list(principalOf(request), page, perPage);
      return paged(items.map(sharedLinkJson), total, page, perPage);
    },
  );

  routes.get(
    '/media/:id/shared-links',
    {
      schema: {
        tags: ['shared-links'],
        summary: 'List every shared link to one of my media (extension)',
        description:
          'Owner only: every link to the media, whoever created it (an organization member with read access may have). Tokens are never listed.',
        params: idParams,
        querystring: paginationQuery,
        response: { 200: z.object({ items: z.array(sharedLinkSchema), ...pageMeta }) },
      },
      onRequest: deps.auth.require('media:download'),
    },
    async (request) => {
      const { page, per_page: perPage } = request.query;
      const { items, total } = await deps.sharing.listForMedia(
        principalOf(request),
        request.params.id,
        page,
        perPage,
      );
      return paged(items.map(sharedLinkJson), total, page, perPage);
    },
  );

  routes.delete(
    '/shared-links/:id',
    {
      schema: {
        tags: ['shared-links'],
        summary: 'Delete Shared Link',
        description:
          "Revokes a link. Its creator may, and so may the owner of the media it points to (extension: an owner can end links organization members made to the owner's files).",
        params: idParams,
        response: { 200: z.object({ deleted: z.literal(true), id: z.string() }) },
      },
      onRequest: deps.auth.require('media:download'),
    },
    async (request) => {
      await deps.sharing.delete(principalOf(request), request.params.id);
      return { deleted: true as const, id: request.params.id };
    },
  );
}
