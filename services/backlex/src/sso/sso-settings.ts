import { defineSettings } from '@trustplane/kernel';
import { z } from 'zod';
import { dnsServersSchema } from './dns-servers.js';

/** Origins (`http(s)://host[:port]`), comma-separated. */
const originsSchema = z
  .string()
  .optional()
  .transform((value, context) => {
    const origins: string[] = [];
    for (const entry of (value ?? '')
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean)) {
      let url: URL | undefined;
      try {
        url = new URL(entry);
      } catch {}
      if (!url || !/^https?:$/.test(url.protocol) || url.origin !== entry.replace(/\/$/, '')) {
        context.addIssue({
          code: 'custom',
          message: `"${entry}" is not an origin such as https://idp.example.com`,
        });
      } else {
        origins.push(url.origin);
      }
    }
    return origins;
  });

/**
 * - `BACKLEX_DNS_SERVERS`: resolvers for the SSO domain-verification TXT lookup (default: the system's).
 * - `BACKLEX_SSO_TRUSTED_ORIGINS`: IdP origins on private or loopback addresses that SSO may
 *   reach (discovery, token, JWKS); any other private IdP is refused at sign-in.
 */
export const loadSsoSettings = defineSettings({
  dnsServers: ['BACKLEX_DNS_SERVERS', dnsServersSchema],
  trustedIdpOrigins: ['BACKLEX_SSO_TRUSTED_ORIGINS', originsSchema],
});
