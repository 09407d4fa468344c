import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { returnUrlFor } from '../../dashboard/dashboard.js';
import { ensureHostedPageBuilt } from '../../hosted-page/hosted-page-build.js';
import type { Kyc } from '../../kyc.js';
import { verificationToken } from '../auth-hooks.js';
import { errorResponses } from '../schemas.js';
import { sessionIdOf } from './verification.js';

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};

/**
 * The hosted verification flow at `hostedUrl` (`/verify/<sessionId>#token=…`: the token stays in
 * the fragment, so it never reaches server logs or referrers). The page is `web/`, built by Vite
 * (relative base) into `web/dist/`, which is built or refreshed when the app is built. Only the
 * files of that build are served, from memory.
 */
export function hostedPageRoutes(kyc: Kyc) {
  // Presigned uploads go straight to S3/MinIO when it is configured.
  const s3 = kyc.context.config.s3;
  const uploadOrigin = s3 ? ` ${new URL(s3.endpoint).origin}` : '';
  const csp = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' blob: data:",
    "media-src 'self' blob: mediastream:",
    `connect-src 'self'${uploadOrigin}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return async (app: FastifyInstance) => {
    const { distDir } = await ensureHostedPageBuilt(kyc.context.logger);
    const indexHtml = await readFile(path.join(distDir, 'index.html'));
    const assets = new Map<string, { type: string; body: Buffer }>();
    for (const name of await readdir(path.join(distDir, 'assets'))) {
      const type = CONTENT_TYPES[path.extname(name)];
      if (type) assets.set(name, { type, body: await readFile(path.join(distDir, 'assets', name)) });
    }
    const api = app.withTypeProvider<ZodTypeProvider>();
    api.get(
      '/verify/:sessionId',
      { schema: { hide: true, params: z.object({ sessionId: z.string() }) } },
      async (_request, reply) =>
        reply
          .header('content-security-policy', csp)
          .header('cache-control', 'no-store')
          .header('referrer-policy', 'no-referrer')
          .type('text/html; charset=utf-8')
          .send(indexHtml),
    );
    api.get(
      '/verify/assets/:name',
      { schema: { hide: true, params: z.object({ name: z.string() }) } },
      async (request, reply) => {
        const asset = assets.get(request.params.name);
        if (!asset) return reply.callNotFound();
        // File names carry a content hash: a new build gets new names.
        return reply
          .type(asset.type)
          .header('cache-control', 'public, max-age=31536000, immutable')
          .header('x-content-type-options', 'nosniff')
          .send(asset.body);
      },
    );
    // Where the page sends the user at the end: the tenant's returnUrl with session_id and status.
    api.get(
      '/verify/:sessionId/return',
      {
        schema: {
          hide: true,
          params: z.object({ sessionId: z.string() }),
          response: {
            200: z.object({ ok: z.literal(true), returnUrl: z.string().nullable() }),
            ...errorResponses(401, 404, 410),
          },
        },
      },
      async (request) => {
        const session = await kyc.sessions.authorize(
          sessionIdOf(request.params.sessionId),
          verificationToken(request),
        );
        return { ok: true as const, returnUrl: returnUrlFor(session) };
      },
    );
  };
}
