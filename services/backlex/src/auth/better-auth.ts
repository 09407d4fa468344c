import type { Mailer } from '@trustplane/kernel';
import { createHmac } from 'node:crypto';
import { betterAuth } from 'better-auth';
import { organization } from 'better-auth/plugins/organization';
import type { Kysely } from 'kysely';
import type { ScimMemberChange } from '../audit/plugin-membership-audit.js';
import type { PendingJoin } from './auth-transaction.js';
import { backlexApiKeyPlugin } from '../api-keys/api-key-plugin.js';
import { backlexScimPlugin } from '../scim/scim-plugin.js';
import type { OidcSecretBox } from '../sso/client-secret.js';
import { backlexSsoPlugin } from '../sso/sso-plugin.js';
import { organizationAccessControl, organizationRoles } from './roles.js';

/** Where the verification link lands (`GET /api/email-verified`, a small served page; outside the seed). */
export const EMAIL_VERIFIED_PATH = '/api/email-verified';

/** What the better-auth instance is built from: the kernel's pool and mailer, the service's URLs. */
export interface BacklexAuthOptions {
  /** The service's Kysely (kernel pool, backlex schema first on the search path). */
  db: Kysely<unknown>;
  mailer: Mailer;
  /** Derived from the platform secret: signs session cookies and the cookie cache. */
  secret: string;
  /** The service's public URL (`TRUSTPLANE_PUBLIC_HOST` and its port): links in mails point here. */
  baseURL: string;
  /** Origins whose cookie-bearing requests are not cross-site (see `serviceOrigins`). */
  trustedOrigins: string[];
  /**
   * Identity-provider origins on private addresses that SSO may reach anyway
   * (`BACKLEX_SSO_TRUSTED_ORIGINS`): the plugin refuses private IdPs unless better-auth trusts them.
   */
  trustedIdpOrigins?: string[];
  /** Sign-in/sign-up requests per IP per minute through better-auth's limiter (database storage). */
  authRequestsPerMinute?: number;
  /** Seals the OIDC client secret in the SSO plugin's table (`sso/client-secret.ts`). */
  oidcSecrets: OidcSecretBox;
  /** The SCIM projection's member changes, in its transaction (`audit/plugin-membership-audit.ts`). */
  onScimMemberChange?: (change: ScimMemberChange) => Promise<void>;
  /** The SSO plugin's just-in-time members, announced just before each insert. */
  onSsoJitJoin?: (join: PendingJoin) => void;
}

/**
 * The one better-auth instance of backlex: every plugin is configured here, so the service has a
 * single `/api/auth/*` handler and a single schema (migrations/0001…; better-auth's own migrator
 * never runs at runtime). The sso helper adds its plugins in the marked slots below.
 */
/**
 * The organization plugin's own HTTP endpoints. The seed's routes are the org API (audit in the
 * same transaction, hashed single-use invitation tokens, the IP allowlist, deleted orgs 404,
 * owner rules): the plugin's endpoints would bypass all of that, so they are not served. The
 * plugin stays for its schema, roles and the server-side adapter the sso/scim plugins use.
 */
export const DISABLED_ORGANIZATION_PATHS = [
  '/organization/create',
  '/organization/update',
  '/organization/delete',
  '/organization/set-active',
  '/organization/get-organization',
  '/organization/get-full-organization',
  '/organization/list',
  '/organization/invite-member',
  '/organization/cancel-invitation',
  '/organization/accept-invitation',
  '/organization/get-invitation',
  '/organization/reject-invitation',
  '/organization/list-invitations',
  '/organization/get-active-member',
  '/organization/check-slug',
  '/organization/remove-member',
  '/organization/update-member-role',
  '/organization/leave',
  '/organization/list-user-invitations',
  '/organization/list-members',
  '/organization/get-active-member-role',
  '/organization/has-permission',
];

export function createBacklexAuth(options: BacklexAuthOptions) {
  return betterAuth({
    disabledPaths: DISABLED_ORGANIZATION_PATHS,
    appName: 'backlex',
    baseURL: options.baseURL,
    basePath: '/api/auth',
    secret: options.secret,
    // Transactions on: the SCIM plugin refuses an adapter without them (and sign-up is atomic too).
    database: { db: options.db, type: 'postgres', transaction: true },
    trustedOrigins: [...options.trustedOrigins, ...(options.trustedIdpOrigins ?? [])],
    emailAndPassword: {
      enabled: true,
      requireEmailVerification: true,
      minPasswordLength: 10,
      maxPasswordLength: 128,
    },
    emailVerification: {
      sendOnSignUp: true,
      sendOnSignIn: true,
      expiresIn: 24 * 60 * 60,
      sendVerificationEmail: async ({ user, url }) => {
        // better-auth redirects to `callbackURL` once the token is checked (`/` by default, where
        // nothing is served): the link lands on the page that says the address is verified.
        const link = new URL(url);
        link.searchParams.set('callbackURL', `${options.baseURL}${EMAIL_VERIFIED_PATH}`);
        await options.mailer.send({
          to: user.email,
          subject: 'Verify your email address for backlex',
          text: `Confirm your email address to finish signing up:\n\n${link.href}\n\nThe link is valid for 24 hours. If you did not sign up, ignore this mail.`,
        });
      },
    },
    session: {
      // The signed `better-auth.session_data` cookie answers most session reads without a query;
      // 60 s bounds how long a session revoked elsewhere keeps working on a cached read.
      cookieCache: { enabled: true, maxAge: 60 },
    },
    rateLimit: {
      enabled: true,
      storage: 'database',
      window: 60,
      max: options.authRequestsPerMinute ?? 100,
    },
    advanced: {
      // Set by the catch-all route from Fastify's `request.ip` (which honours
      // TRUSTPLANE_TRUSTED_PROXIES); a client's own copy of the header is overwritten there.
      ipAddress: { ipAddressHeaders: ['x-backlex-client-ip'] },
    },
    plugins: [
      organization({
        ac: organizationAccessControl,
        roles: organizationRoles,
        creatorRole: 'owner',
        // Orgs are created through `POST /api/org` (slug rules, residency, limits, audit); the
        // plugin's own endpoints must not create, invite or change roles around those rules.
        allowUserToCreateOrganization: false,
        invitationExpiresIn: 7 * 24 * 60 * 60,
        schema: {
          organization: {
            additionalFields: {
              planId: { type: 'string', required: true, defaultValue: 'free', input: false },
              residency: { type: 'string', required: true, defaultValue: 'global', input: false },
              defaultRegion: { type: 'string', required: true, defaultValue: 'iad', input: false },
              ipAllowlist: { type: 'json', required: false, input: false },
              webhookUrl: { type: 'string', required: false, input: false },
              status: { type: 'string', required: true, defaultValue: 'active', input: false },
              purpose: { type: 'string', required: false, input: false },
              teamSize: { type: 'string', required: false, input: false },
              createdBy: { type: 'string', required: false, input: false },
              deletedAt: { type: 'date', required: false, input: false },
            },
          },
          member: {
            additionalFields: {
              updatedAt: { type: 'date', required: false, input: false },
            },
          },
          invitation: {
            additionalFields: {
              // sha-256 of the 32-byte token mailed to the invitee; the token itself is never stored.
              tokenHash: { type: 'string', required: false, input: false },
              lastSentAt: { type: 'date', required: false, input: false },
              acceptedAt: { type: 'date', required: false, input: false },
            },
          },
        },
      }),
      backlexApiKeyPlugin(),
      backlexSsoPlugin(options.oidcSecrets, options.onSsoJitJoin),
      backlexScimPlugin({
        credentialHashSecret: createHmac('sha256', options.secret).update('scim-credentials').digest('hex'),
        ...(options.onScimMemberChange ? { onMemberChange: options.onScimMemberChange } : {}),
      }),
    ],
  });
}

export type BacklexAuth = ReturnType<typeof createBacklexAuth>;
