import fastifyStatic from '@fastify/static';
import { securityHeaders } from '@trustplane/kernel';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { returnUrlFor } from '../../dashboard/dashboard.js';
import { builtHostedPage } from '../../hosted-page/hosted-page-build.js';
import type { Kyc } from '../../kyc.js';
import { verificationToken } from '../auth-hooks.js';
import { errorResponses } from '../schemas.js';
import { sessionIdOf } from './session-params.js';

/**
 * The hosted verification flow at `hostedUrl` (`/verify/<sessionId>#token=…`: the token stays in
 * the fragment, so it never reaches server logs or referrers). The page is `web/`, built by Vite
 * (relative base) into `dist/hosted-page` by the build step (`npm run build -w services/kyc`, run
 * by `npm install`); the app only serves that build, with `@fastify/static`, and never builds it.
 */
export function hostedPageRoutes(kyc: Kyc) {
  // Presigned uploads go straight to S3/MinIO when it is configured.
  const s3 = kyc.context.config.s3;
  const uploadOrigin = s3 ? ` ${new URL(s3.endpoint).origin}` : '';
  const pageHeaders = securityHeaders({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'blob:', 'data:'],
        mediaSrc: ["'self'", 'blob:', 'mediastream:'],
        connectSrc: [`'self'${uploadOrigin}`],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'none'"],
        frameAncestors: ["'none'"],
      },
    },
    referrerPolicy: { policy: 'no-referrer' },
  });
  return async (app: FastifyInstance) => {
    const distDir = await builtHostedPage(kyc.context.logger);
    // File names carry a content hash: a new build gets new names. Anything not in the build is 404.
    await app.register(fastifyStatic, {
      root: path.join(distDir, 'assets'),
      prefix: '/verify/assets/',
      index: false,
      list: false,
      immutable: true,
      maxAge: '365d',
      etag: false,
      lastModified: false,
      setHeaders: (reply) => {
        reply.header('x-content-type-options', 'nosniff');
      },
    });
    const api = app.withTypeProvider<ZodTypeProvider>();
    api.get(
      '/verify/:sessionId',
      { schema: { hide: true, params: z.object({ sessionId: z.string() }) } },
      async (request, reply) => {
        pageHeaders(reply);
        // The tenant's logo may live on its own https origin: that origin (only) is added to img-src.
        const logoOrigin = await kyc.hostedFlow.logoOrigin(request.params.sessionId);
        const csp = reply.getHeader('content-security-policy');
        if (logoOrigin && typeof csp === 'string') {
          reply.header('content-security-policy', csp.replace(/img-src ([^;]*)/, `img-src $1 ${logoOrigin}`));
        }
        return reply
          .header('cache-control', 'no-store')
          .type('text/html; charset=utf-8')
          .sendFile('index.html', distDir, { cacheControl: false, etag: false, lastModified: false });
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
