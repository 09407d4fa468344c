import { openSecret, sealSecret } from '@trustplane/kernel';

/**
 * The OIDC client secret sealed at rest (AES-256-GCM, a key derived from the platform secret).
 * The SSO plugin keeps a provider's OIDC settings as JSON text in `ssoProvider.oidcConfig`; what
 * is stored there carries `clientSecretSealed` instead of `clientSecret`. better-auth's adapter
 * runs `seal` on every write of that column and `open` on every read the plugin makes, so the
 * plugin itself (token exchange at sign-in) sees the secret and the table never does.
 */
export function createOidcSecretBox(key: Buffer) {
  const parse = (text: unknown): Record<string, unknown> | null => {
    if (typeof text !== 'string' || text === '') return null;
    try {
      const value = JSON.parse(text);
      return value && typeof value === 'object' && !Array.isArray(value) ? value : null;
    } catch {
      return null;
    }
  };
  return {
    /** The column's value with its `clientSecret` sealed (anything else passes unchanged). */
    seal(text: unknown): unknown {
      const config = parse(text);
      if (!config || typeof config.clientSecret !== 'string') return text;
      const { clientSecret, ...rest } = config;
      return JSON.stringify({ ...rest, clientSecretSealed: sealSecret(key, clientSecret) });
    },
    /** The column's value as the plugin needs it: `clientSecret` in clear. */
    open(text: unknown): unknown {
      const config = parse(text);
      if (!config || typeof config.clientSecretSealed !== 'string') return text;
      const { clientSecretSealed, ...rest } = config;
      return JSON.stringify({ ...rest, clientSecret: openSecret(key, clientSecretSealed) });
    },
    /** The stored secret of a column value read directly (backlex's repository), or undefined. */
    secretOf(text: unknown): string | undefined {
      const opened = parse(this.open(text));
      return typeof opened?.clientSecret === 'string' ? opened.clientSecret : undefined;
    },
  };
}

export type OidcSecretBox = ReturnType<typeof createOidcSecretBox>;
