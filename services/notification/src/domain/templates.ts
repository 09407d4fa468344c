import { trimChar } from '@trustplane/kernel';
import Handlebars from 'handlebars';
import type { StoredContent } from '../db/schema.js';

/** A private Handlebars: no helpers or partials registered by anyone else. */
const handlebars = Handlebars.create();

export class TemplateError extends Error {
  override readonly name = 'TemplateError';
}

/** Renders `source` with `data`; strict: a missing variable is an error, never an empty string. */
export function render(source: string, data: Record<string, unknown>, options: { html: boolean }): string {
  try {
    return handlebars.compile(source, { strict: true, noEscape: !options.html })(data);
  } catch (error) {
    throw new TemplateError((error as Error).message.split('\n')[0] ?? 'template error');
  }
}

/** The mails account's `email.requested` asks for. */
export const ACCOUNT_TEMPLATES = ['email_verification', 'password_reset', 'organization_invitation'] as const;
export type AccountTemplate = (typeof ACCOUNT_TEMPLATES)[number];

interface MailTemplate {
  subject: string;
  /** Path appended to `base_url`, before `?token=`. */
  path: string;
  text: string;
  html: string;
}

const layout = (inner: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{{subject}}</title></head>
<body style="font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;background:#f6f6f8;margin:0;padding:24px">
<table role="presentation" width="100%" style="max-width:560px;margin:0 auto;background:#fff;border-radius:8px;padding:24px">
<tr><td>
${inner}
<p style="color:#6b7280;font-size:13px">If the button does not work, copy this link into your browser:<br>
<a href="{{link}}" style="color:#360185;word-break:break-all">{{link}}</a></p>
</td></tr></table></body></html>
`;

const button = (label: string) =>
  `<p><a href="{{link}}" style="display:inline-block;background:#360185;color:#fff;padding:12px 20px;border-radius:6px;text-decoration:none">${label}</a></p>`;

const TEMPLATES: Record<AccountTemplate, MailTemplate> = {
  email_verification: {
    subject: '{{#if is_resend}}Your new verification link{{else}}Verify your email address{{/if}}',
    path: '/verify-email',
    text: `Hi {{name}},

Please confirm your email address by opening this link:

{{link}}

The link works once and expires in 48 hours. If you did not create an account, you can ignore this mail.
`,
    html: layout(`<p>Hi {{name}},</p>
<p>Please confirm your email address.</p>
${button('Verify email address')}
<p>The link works once and expires in 48 hours. If you did not create an account, you can ignore this mail.</p>`),
  },
  password_reset: {
    subject: 'Reset your password',
    path: '/reset-password',
    text: `Hi {{name}},

Someone (hopefully you) asked to reset the password of your account. Choose a new one here:

{{link}}

The link works once and expires in an hour. If you did not ask for this, ignore this mail: your password stays as it is.
`,
    html: layout(`<p>Hi {{name}},</p>
<p>Someone (hopefully you) asked to reset the password of your account.</p>
${button('Choose a new password')}
<p>The link works once and expires in an hour. If you did not ask for this, ignore this mail: your password stays as it is.</p>`),
  },
  organization_invitation: {
    subject: 'You are invited to join {{organization}}',
    path: '/invitations/accept',
    text: `Hi {{name}},

You have been invited to join {{organization}}. Sign in (or create an account with this email address) and accept the invitation here:

{{link}}

The invitation expires in 7 days.
`,
    html: layout(`<p>Hi {{name}},</p>
<p>You have been invited to join <strong>{{organization}}</strong>. Sign in (or create an account with this email address) and accept the invitation.</p>
${button('Accept the invitation')}
<p>The invitation expires in 7 days.</p>`),
  },
};

/** The link of an account mail: `base_url` + the template's path + `?token=`. */
export function accountLink(template: AccountTemplate, baseUrl: string, token: string): string {
  return `${trimChar(baseUrl, '/', 'end')}${TEMPLATES[template].path}?token=${encodeURIComponent(token)}`;
}

/** Text and HTML of an account mail; the name is HTML-escaped in the HTML part. */
export function renderAccountMail(
  template: AccountTemplate,
  data: { name: string; link: string; organization?: string; is_resend?: boolean },
): StoredContent {
  const spec = TEMPLATES[template];
  const values = { organization: 'an organization', is_resend: false, ...data };
  const subject = render(spec.subject, values, { html: false });
  return {
    subject,
    body: render(spec.text, values, { html: false }),
    is_html: false,
    html_body: render(spec.html, { ...values, subject }, { html: true }),
  };
}
