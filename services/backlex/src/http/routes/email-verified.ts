import type { FastifyInstance } from 'fastify';
import { EMAIL_VERIFIED_PATH } from '../../auth/better-auth.js';

/**
 * `GET /api/email-verified`: where the verification link lands. better-auth checks the token and
 * redirects here (with `?error=…` when the link is invalid or expired); there is no SPA in this
 * project, so a small self-contained page tells the person what happened. Outside the seed.
 */

const page = (title: string, text: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${title} · backlex</title></head>
<body style="font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem">
<h1>${title}</h1><p>${text}</p></body></html>
`;

export function emailVerifiedRoute() {
  return async (app: FastifyInstance) => {
    app.get(EMAIL_VERIFIED_PATH, { schema: { hide: true } }, async (request, reply) => {
      const failed = typeof (request.query as { error?: unknown }).error === 'string';
      reply
        .header('content-type', 'text/html; charset=utf-8')
        .header('cache-control', 'no-store')
        .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'");
      return failed
        ? page(
            'This link cannot be used',
            'The verification link is invalid or has expired. Sign in again to get a new one by mail.',
          )
        : page('Email address verified', 'Your email address is verified. You can sign in to backlex now.');
    });
  };
}
