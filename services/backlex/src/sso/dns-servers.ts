import dns from 'node:dns';
import net from 'node:net';
import { z } from 'zod';

/**
 * `BACKLEX_DNS_SERVERS`: comma-separated resolvers (`1.1.1.1`, `127.0.0.1:5353`, `[::1]:53`) for the
 * SSO domain-verification TXT lookup. `@better-auth/sso` resolves the record with
 * `(await import('node:dns/promises')).resolveTxt`, i.e. the process-wide default resolver, so the
 * only way to point that lookup elsewhere is `setServers` on that resolver. It affects `resolve*`
 * calls only, never `dns.lookup` (getaddrinfo), which HTTP clients use.
 */
export const dnsServersSchema = z
  .string()
  .optional()
  .transform((value, context) => {
    const servers = (value ?? '')
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean);
    for (const server of servers) {
      if (!isResolverAddress(server)) {
        context.addIssue({
          code: 'custom',
          message: `"${server}" is not an IP address with an optional port`,
        });
      }
    }
    return servers;
  });

function isResolverAddress(server: string): boolean {
  if (net.isIP(server)) return true;
  const bracketed = /^\[([^\]]+)\]:(\d{1,5})$/.exec(server);
  if (bracketed) return net.isIPv6(bracketed[1] as string) && Number(bracketed[2]) <= 65535;
  const withPort = /^([^:]+):(\d{1,5})$/.exec(server);
  return Boolean(withPort && net.isIPv4(withPort[1] as string) && Number(withPort[2]) <= 65535);
}

/** Points the default resolvers (callback and promise APIs) at `servers`; an empty list keeps the system's. */
export function applyDnsServers(servers: readonly string[]): void {
  if (servers.length === 0) return;
  dns.setServers(servers);
  dns.promises.setServers(servers);
}
