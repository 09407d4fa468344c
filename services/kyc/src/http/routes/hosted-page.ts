import { readFile } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { returnUrlFor } from '../../dashboard/dashboard.js';
import type { Kyc } from '../../kyc.js';
import { verificationToken } from '../auth-hooks.js';
import { errorResponses } from '../schemas.js';
import { sessionIdOf } from './verification.js';

const WEB_DIR = new URL('../../../web/', import.meta.url);
const ASSETS: Record<string, string> = {
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
};

/**
 * The hosted verification flow at `hostedUrl` (`/verify/<sessionId>#token=…`: the token stays in
 * the fragment, so it never reaches server logs or referrers). Plain ES modules, no build step.
 */
export function hostedPageRoutes(kyc: Kyc) {
  const files = new Map<string, Promise<Buffer>>();
  const file = (name: string) => {
    let content = files.get(name);
    if (!content) {
      content = readFile(new URL(name, WEB_DIR));
      files.set(name, content);
    }
    return content;
  };
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
    "frame-ancestors 'none'",
  ].join('; ');
  return async (app: FastifyInstance) => {
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
          .send(await file('index.html')),
    );
    api.get(
      '/verify/assets/:name',
      { schema: { hide: true, params: z.object({ name: z.string() }) } },
      async (request, reply) => {
        const type = ASSETS[request.params.name];
        if (!type) return reply.callNotFound();
        return reply
          .type(type)
          .header('cache-control', 'public, max-age=300')
          .send(await file(request.params.name));
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
