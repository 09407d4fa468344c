import type { FastifyInstance, FastifyReply } from 'fastify';
import { type ServiceError, securityHeaders } from '@trustplane/kernel';
import type { AccountDeps } from '../../deps.js';
import * as auth from '../../identity/auth-service.js';
import { previewInvitation } from '../../organizations/invitations.js';
import { originOf } from '../schemas.js';
import { ACCEPT_INVITATION_JS, PAGE_CSS, RESET_PASSWORD_JS } from './page-assets.js';

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/**
 * The pages carry tokens in their forms: no referrer, no framing, and no inline code — the
 * stylesheet and scripts come from this origin (`/pages/…`).
 */
const pageHeaders = securityHeaders({
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'none'"],
      scriptSrc: ["'self'"],
      connectSrc: ["'self'"],
      styleSrc: ["'self'"],
      formAction: ["'self'"],
      baseUri: ["'none'"],
      frameAncestors: ["'none'"],
    },
  },
  referrerPolicy: { policy: 'no-referrer' },
  xFrameOptions: { action: 'deny' },
  xContentTypeOptions: true,
});

/** The pages' own stylesheet and scripts: never sniffed as another type. */
const assetHeaders = securityHeaders({ xContentTypeOptions: true });

function page(reply: FastifyReply, status: number, title: string, body: string, script?: string) {
  pageHeaders(reply);
  return reply
    .status(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .send(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="/pages/page.css">${script ? `\n<script src="/pages/${script}" defer></script>` : ''}</head>
<body><main><h1>${escapeHtml(title)}</h1>${body}</main></body></html>`);
}

const ASSETS: Record<string, { type: string; body: string }> = {
  'page.css': { type: 'text/css; charset=utf-8', body: PAGE_CSS },
  'reset-password.js': { type: 'text/javascript; charset=utf-8', body: RESET_PASSWORD_JS },
  'accept-invitation.js': { type: 'text/javascript; charset=utf-8', body: ACCEPT_INVITATION_JS },
};

const RULES =
  'At least 8 characters, with an uppercase letter, a lowercase letter, a digit and a special character.';

/**
 * The reset form. Its script posts to the seed's `POST /api/v1/auth/password-reset/confirm`;
 * without JavaScript the form posts to `POST /reset-password`, which does the same.
 */
function resetForm(token: string, csrfHeader: string, error?: string) {
  return `<form id="reset-password" method="post" action="/reset-password" data-csrf-header="${escapeHtml(csrfHeader)}">
<input type="hidden" name="token" value="${escapeHtml(token)}">
<label for="new_password">New password</label>
<input id="new_password" type="password" name="new_password" autocomplete="new-password" required minlength="8" aria-describedby="rules">
<small id="rules">${RULES}</small>
<button type="submit">Set new password</button>
</form>
<p id="status" role="status" aria-live="polite"${error ? ' class="error"' : ''}>${error ? escapeHtml(error) : ''}</p>`;
}

function messageOf(error: unknown): string {
  const message = (error as ServiceError).message ?? 'Something went wrong';
  return (error as ServiceError).statusCode && (error as ServiceError).statusCode < 500
    ? message
    : 'Something went wrong; please try again.';
}

/**
 * Browser pages outside `/api/v1`, behind the links of account's mails: email verification,
 * the password-reset form and the organization invitation. Their URLs carry one-time tokens, so
 * their request logs are kept below info (`logLevel`).
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
        return page(
          reply,
          200,
          'Reset password',
          resetForm(token, deps.config.csrfHeader),
          'reset-password.js',
        );
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
          return page(
            reply,
            400,
            'Reset password',
            resetForm(token, deps.config.csrfHeader, messageOf(error)),
            'reset-password.js',
          );
        }
      },
    );

    app.get<{ Params: { asset: string } }>(
      '/pages/:asset',
      { schema: { hide: true } },
      async (request, reply) => {
        const asset = ASSETS[request.params.asset];
        if (!asset || !Object.hasOwn(ASSETS, request.params.asset))
          return page(reply, 404, 'Not found', '<p class="error">There is no such page.</p>');
        assetHeaders(reply);
        return reply
          .header('content-type', asset.type)
          .header('cache-control', 'public, max-age=300')
          .send(asset.body);
      },
    );

    app.get<{ Querystring: { token?: string } }>(
      '/invitations/accept',
      { logLevel: 'warn', schema: { hide: true } },
      async (request, reply) => {
        const token = typeof request.query.token === 'string' ? request.query.token : '';
        const title = 'Organization invitation';
        if (!token) return page(reply, 400, title, '<p class="error">The link is missing its token.</p>');
        const invitation =
          token.length <= 512 ? await previewInvitation(deps.repositories, token) : undefined;
        if (!invitation)
          return page(
            reply,
            404,
            title,
            '<p class="error">This invitation is invalid, has expired or was already used.</p><p>Ask the person who invited you for a new one.</p>',
          );
        const organization = escapeHtml(invitation.organizationName);
        const email = escapeHtml(invitation.email);
        return page(
          reply,
          200,
          `Join ${invitation.organizationName}`,
          `<p>${invitation.inviterName ? `${escapeHtml(invitation.inviterName)} invited ` : 'You are invited: '}<strong>${email}</strong> to join <strong>${organization}</strong> as <strong>${escapeHtml(invitation.roleName)}</strong>.</p>
<p>Sign in with that address to accept, or create your account.</p>
<form id="accept-invitation" data-csrf-header="${escapeHtml(deps.config.csrfHeader)}" data-organization="${organization}">
<input type="hidden" name="token" value="${escapeHtml(token)}">
<label for="email">Email</label>
<input id="email" type="email" name="email" autocomplete="username" required value="${email}">
<label for="password">Password</label>
<input id="password" type="password" name="password" autocomplete="current-password" required aria-describedby="rules">
<label class="check" for="create"><input id="create" type="checkbox" name="create">I do not have an account yet: create one</label>
<div id="new-account" hidden>
<label for="display_name">Your name</label>
<input id="display_name" type="text" name="display_name" autocomplete="name" maxlength="100">
<small id="rules">New passwords: ${RULES}</small>
</div>
<button type="submit">Join ${organization}</button>
</form>
<p id="status" role="status" aria-live="polite"></p>
<noscript><p class="error">This page needs JavaScript. Without it, sign in through the API and send the token to <code>POST /api/v1/invitations/accept</code>.</p></noscript>`,
          'accept-invitation.js',
        );
      },
    );
  };
}
