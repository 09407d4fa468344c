import fastifyMultipart from '@fastify/multipart';
import type { ServiceContext } from '@trustplane/kernel';
import type { FastifyInstance } from 'fastify';
import type { MediaDeps } from '../composition.js';
import { renderMediaError } from './errors.js';
import { healthRoutes } from './routes/health.js';
import { accessSharedLinkRoute } from './routes/access-shared-link.js';
import { checkStarStatusBulkRoute } from './routes/check-star-status-bulk.js';
import { clearHistoryRoute } from './routes/clear-history.js';
import { createFolderRoute } from './routes/create-folder.js';
import { createSharedLinkRoute } from './routes/create-shared-link.js';
import { deleteFolderRoute } from './routes/delete-folder.js';
import { deleteMediaRoute } from './routes/delete-media.js';
import { deleteSharedLinkRoute } from './routes/delete-shared-link.js';
import { downloadMediaRoute } from './routes/download-media.js';
import { getMediaInfoRoute } from './routes/get-media-info.js';
import { listFolderContentsRoute } from './routes/list-folder-contents.js';
import { listFoldersRoute } from './routes/list-folders.js';
import { listMediaRoute } from './routes/list-media.js';
import { listMySharedLinksRoute } from './routes/list-my-shared-links.js';
import { listRecentFilesRoute } from './routes/list-recent-files.js';
import { listSharedLinksOfMediaRoute } from './routes/list-shared-links-of-media.js';
import { listStarredRoute } from './routes/list-starred.js';
import { renameFolderRoute } from './routes/rename-folder.js';
import { renameMediaRoute } from './routes/rename-media.js';
import { starFileRoute } from './routes/star-file.js';
import { toggleStarRoute } from './routes/toggle-star.js';
import { trackAccessRoute } from './routes/track-access.js';
import { unstarFileRoute } from './routes/unstar-file.js';
import { updateMediaVisibilityRoute } from './routes/update-media-visibility.js';
import { uploadMediaRoute } from './routes/upload-media.js';

/**
 * The largest non-multipart body any media route takes: the seed's biggest JSON bodies are a
 * 2 000-character star note and 100 ids for `/starred/check` (about 12 KB with every character
 * escaped). Uploads are multipart and streamed, capped by `APP__MAX_FILE_SIZE` instead.
 */
export const MEDIA_BODY_LIMIT_BYTES = 16 * 1024;

/** Every operation but the upload (registered in its multipart scope), one file each. */
const MEDIA_ROUTES = [
  listMediaRoute,
  downloadMediaRoute,
  getMediaInfoRoute,
  renameMediaRoute,
  updateMediaVisibilityRoute,
  deleteMediaRoute,
  createFolderRoute,
  listFoldersRoute,
  renameFolderRoute,
  listFolderContentsRoute,
  deleteFolderRoute,
  createSharedLinkRoute,
  accessSharedLinkRoute,
  listMySharedLinksRoute,
  listSharedLinksOfMediaRoute,
  deleteSharedLinkRoute,
  listStarredRoute,
  starFileRoute,
  unstarFileRoute,
  toggleStarRoute,
  checkStarStatusBulkRoute,
  listRecentFilesRoute,
  trackAccessRoute,
  clearHistoryRoute,
];

export async function buildMediaApp(
  context: ServiceContext,
  version: string,
  deps: MediaDeps,
): Promise<FastifyInstance> {
  const { settings } = deps;
  const app = await context.createHttpApp({
    title: 'Media Service',
    description:
      'File upload, download, metadata. Authenticates with RS256 JWTs issued by the account service.',
    version,
    renderError: renderMediaError,
    bodyLimit: MEDIA_BODY_LIMIT_BYTES,
    openapi: {
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    },
  });
  app.metrics.registerMetric(deps.variants.generations);
  // OpenAPI: every route but the public ones takes the account service's bearer token.
  // Public media can be read anonymously: the token is optional there (`{}` in OpenAPI terms).
  // A shared link is opened anonymously, or with a token for `restricted`/`organization` links.
  const PUBLIC_ROUTES = new Set(['/health']);
  const OPTIONAL_AUTH = new Set([
    'GET /media/:id',
    'GET /media/:id/info',
    'HEAD /media/:id',
    'HEAD /media/:id/info',
    'GET /share/:token',
    'HEAD /share/:token',
  ]);
  app.addHook('onRoute', (route) => {
    if (!route.schema) return;
    if (PUBLIC_ROUTES.has(route.url)) {
      route.schema.security = [];
      return;
    }
    const methods = [route.method].flat();
    const optional = methods.every((method) => OPTIONAL_AUTH.has(`${method} ${route.url}`));
    (route.schema as Record<string, unknown>).security = optional ? [{ bearer: [] }, {}] : [{ bearer: [] }];
  });
  await app.register(healthRoutes);
  // Multipart only where a route reads it: @fastify/multipart adds an async onRequest and an async
  // onResponse hook to every route of the scope it is registered in, and only the upload takes a
  // file. Elsewhere a multipart body has no parser, like any other unexpected type (415).
  await app.register(async (uploads) => {
    await uploads.register(fastifyMultipart, {
      // The store's `maxBytes` is the authoritative cap; busboy's limit only backs it up.
      limits: { fileSize: settings.maxFileSize + 1, files: 1, fields: 20, parts: 40, fieldSize: 64 * 1024 },
      // Larger buffers between socket, parser and store: fewer, bigger chunks for large uploads.
      highWaterMark: 1024 * 1024,
      fileHwm: 1024 * 1024,
    });
    await uploads.register(uploadMediaRoute, { deps });
  });
  for (const route of MEDIA_ROUTES) await app.register(route, { deps });
  return app;
}
