import type { FastifyInstance, FastifyReply } from 'fastify';
import { type ServiceError, securityHeaders } from '@trustplane/kernel';
import type { AccountDeps } from '../../deps.js';
import * as auth from '../../identity/auth-service.js';
import { originOf } from '../schemas.js';

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** The pages carry tokens in their forms: no referrer, no framing, only their inline style and own form posts. */
const pageHeaders = securityHeaders({
  contentSecurityPolicy: {
    useDefaults: false,
    directives: { defaultSrc: ["'none'"], styleSrc: ["'unsafe-inline'"], formAction: ["'self'"] },
  },
  referrerPolicy: { policy: 'no-referrer' },
  xFrameOptions: { action: 'deny' },
});

function page(reply: FastifyReply, status: number, title: string, body: string) {
  pageHeaders(reply);
  return reply
    .status(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .send(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:4rem auto;padding:0 1rem;color:#222}
input,button{font:inherit;padding:.5rem;width:100%;box-sizing:border-box;margin:.25rem 0}
.error{color:#b00020}.ok{color:#1b5e20}small{color:#555}</style></head>
<body><h1>${escapeHtml(title)}</h1>${body}</body></html>`);
}

const RULES =
  'At least 8 characters, with an uppercase letter, a lowercase letter, a digit and a special character.';

function resetForm(token: string, error?: string) {
  return `${error ? `<p class="error">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/reset-password">
<input type="hidden" name="token" value="${escapeHtml(token)}">
<label>New password<input type="password" name="new_password" autocomplete="new-password" required minlength="8"></label>
<small>${RULES}</small>
<button type="submit">Set new password</button>
</form>`;
}

function messageOf(error: unknown): string {
  const message = (error as ServiceError).message ?? 'Something went wrong';
  return (error as ServiceError).statusCode && (error as ServiceError).statusCode < 500
    ? message
    : 'Something went wrong; please try again.';
}

/**
 * Browser pages outside `/api/v1`: email verification and the fallback password-reset form.
 * Their URLs carry one-time tokens, so their request logs are kept below info (`logLevel`).
 */
export function htmlPages(deps: AccountDeps) {
  return async (app: FastifyInstance) => {
    app.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: 16_384 },
      (_request, body, done) => {
        done(null, Object.fromEntries(new URLSearchParams(body as string)));
      },
    );

    app.get<{ Querystring: { token?: string } }>(
      '/verify-email',
      { logLevel: 'warn', schema: { hide: true } },
      async (request, reply) => {
        const token = typeof request.query.token === 'string' ? request.query.token : '';
        if (!token)
          return page(
            reply,
            400,
            'Email verification',
            '<p class="error">The link is missing its token.</p>',
          );
        try {
          const { email } = await auth.verifyEmail(deps, token);
          return page(
            reply,
            200,
            'Email verified',
            `<p class="ok">${escapeHtml(email)} is verified.</p><p>Sign in again (or refresh your session) to get full access.</p>`,
          );
        } catch (error) {
          return page(
            reply,
            400,
            'Email verification',
            `<p class="error">${escapeHtml(messageOf(error))}</p><p>Request a new link from the sign-in page.</p>`,
          );
        }
      },
    );

    app.get<{ Querystring: { token?: string } }>(
      '/reset-password',
      { logLevel: 'warn', schema: { hide: true } },
      async (request, reply) => {
        const token = typeof request.query.token === 'string' ? request.query.token : '';
        if (!token)
          return page(reply, 400, 'Reset password', '<p class="error">The link is missing its token.</p>');
        return page(reply, 200, 'Reset password', resetForm(token));
      },
    );

    app.post<{ Body: Record<string, string> }>(
      '/reset-password',
      { logLevel: 'warn', schema: { hide: true } },
      async (request, reply) => {
        const body = (request.body ?? {}) as Record<string, unknown>;
        const token = typeof body.token === 'string' ? body.token : '';
        const newPassword = typeof body.new_password === 'string' ? body.new_password : '';
        if (!token)
          return page(reply, 400, 'Reset password', '<p class="error">The form is missing its token.</p>');
        try {
          await auth.confirmPasswordReset(deps, { token, new_password: newPassword }, originOf(request));
          return page(
            reply,
            200,
            'Password changed',
            '<p class="ok">Your password has been changed. Every session was signed out; sign in with the new password.</p>',
          );
        } catch (error) {
          return page(reply, 400, 'Reset password', resetForm(token, messageOf(error)));
        }
      },
    );
  };
}
