import { sso } from '@better-auth/sso';
import type { PendingJoin } from '../auth/auth-transaction.js';
import type { OidcSecretBox } from './client-secret.js';

/** The TXT record name is `_backlex-<providerId>.<emailDomain>` (the plugin adds `_` and the id). */
export const SSO_TOKEN_PREFIX = 'backlex';

/** True when `email` is at `domain` or one of its subdomains (a verified domain proves control of both). */
export function emailInDomain(email: string, domain: string): boolean {
  const at = email.lastIndexOf('@');
  if (at < 0) return false;
  const emailDomain = email.slice(at + 1).toLowerCase();
  const expected = domain.toLowerCase();
  return emailDomain === expected || emailDomain.endsWith(`.${expected}`);
}

/**
 * `@better-auth/sso` as backlex uses it: one provider per org (linked by `organizationId`),
 * sign-in only after the plugin verified the DNS TXT record of the provider's `domain`,
 * assertions for an email outside that domain refused (the plugin alone would still sign such a
 * user up), JIT members seated as `viewer`, and the OIDC client secret sealed at rest (`secrets`:
 * a transform on the plugin's `oidcConfig` column, which better-auth's adapter applies to every
 * write and every read the plugin makes).
 */
export function backlexSsoPlugin(
  secrets: OidcSecretBox,
  /** Told of each just-in-time member just before the plugin inserts it (audited before commit). */
  onJitJoin?: (join: PendingJoin) => void,
) {
  const plugin = sso({
    domainVerification: { enabled: true, tokenPrefix: SSO_TOKEN_PREFIX },
    // `SsoInput.enabled`: a disabled provider is kept but signs no one in.
    schema: {
      ssoProvider: {
        additionalFields: { enabled: { type: 'boolean', required: false, defaultValue: true } },
      },
    },
    organizationProvisioning: {
      // The plugin's type names its own two roles; backlex's access control knows `viewer`.
      getRole: async ({ user, provider }) => {
        const organizationId = (provider as { organizationId?: string | null }).organizationId;
        if (organizationId) {
          onJitJoin?.({
            organizationId,
            userId: user.id,
            email: user.email,
            providerId: provider.providerId,
          });
        }
        return 'viewer' as 'member';
      },
    },
    async resolveUser(input, context) {
      const provider = (await context.database.findOne({
        model: 'ssoProvider',
        where: [{ field: 'providerId', value: input.providerId }],
      })) as { domain?: string | null; enabled?: boolean | null } | null;
      if (provider?.enabled === false) {
        return { action: 'reject', code: 'sso_disabled', message: 'SSO is disabled for this organization' };
      }
      const domain = provider?.domain;
      if (!domain || !emailInDomain(input.providerUser.email, domain)) {
        return {
          action: 'reject',
          code: 'email_domain_mismatch',
          message: 'The identity provider asserted an email outside the organization domain',
        };
      }
      return { action: 'continue' };
    },
  });
  const oidcConfig = plugin.schema.ssoProvider.fields.oidcConfig as {
    transform?: { input?: (value: unknown) => unknown; output?: (value: unknown) => unknown };
  };
  oidcConfig.transform = { input: (value) => secrets.seal(value), output: (value) => secrets.open(value) };
  return plugin;
}
