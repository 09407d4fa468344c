import fastifyStatic from '@fastify/static';
import { securityHeaders } from '@trustplane/kernel';
import path from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { builtConsole } from '../../console/console-build.js';
import type { Kyc } from '../../kyc.js';

/**
 * The operator console (`console/`, built by Vite into `dist/console` with base `/console/`): one
 * page for `/login`, `/signup` and every `/dashboard…` address (the console routes in the browser),
 * `/` redirecting to `/dashboard`, files under `/console/assets/`. The page talks only to the
 * dashboard and auth APIs with the `kyc_session` cookie; it never builds itself.
 */
export function consolePageRoutes(kyc: Kyc) {
  // Signed view URLs (documents, heatmaps, recordings) point at S3/MinIO when it is configured.
  const s3 = kyc.context.config.s3;
  const objectOrigin = s3 ? [new URL(s3.endpoint).origin] : [];
  const pageHeaders = securityHeaders({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:', ...objectOrigin],
        mediaSrc: ["'self'", ...objectOrigin],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    referrerPolicy: { policy: 'no-referrer' },
  });
  return async (app: FastifyInstance) => {
    const distDir = await builtConsole(kyc.context.logger);
    await app.register(fastifyStatic, {
      root: path.join(distDir, 'assets'),
      prefix: '/console/assets/',
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
    const page = async (_request: unknown, reply: FastifyReply) => {
      pageHeaders(reply);
      return reply
        .header('cache-control', 'no-store')
        .type('text/html; charset=utf-8')
        .sendFile('index.html', distDir, { cacheControl: false, etag: false, lastModified: false });
    };
    const hidden = { schema: { hide: true } };
    app.get('/', hidden, async (_request, reply) => reply.redirect('/dashboard', 302));
    for (const url of ['/login', '/signup', '/dashboard', '/dashboard/*']) app.get(url, hidden, page);
  };
}
