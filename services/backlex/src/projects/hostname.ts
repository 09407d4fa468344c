import net from 'node:net';
import { domainToASCII } from 'node:url';

/** A DNS label of a host name (RFC 1123): letters, digits, inner hyphens, 1–63 characters. */
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export type HostnameCheck = { ok: true; hostname: string } | { ok: false; reason: string };

/**
 * A custom domain's host name, as it is stored and matched: IDNA-normalized to its ASCII form
 * (`Bücher.Example` → `xn--bcher-kva.example`, `domainToASCII`, UTS #46 processing), lowercase,
 * without a trailing dot. It must be a DNS name of at least two labels, 3–253 characters, each
 * label a DNS label, the last one not all digits; never an IP literal, nor the platform's own
 * host or a subdomain of it.
 */
export function normalizeHostname(input: string, platformHost: string): HostnameCheck {
  const trimmed = input.trim().replace(/\.$/, '');
  if (trimmed.length === 0) return { ok: false, reason: 'a host name is required' };
  if (net.isIP(trimmed) || net.isIP(trimmed.replace(/^\[(.*)\]$/, '$1'))) {
    return { ok: false, reason: 'an IP address is not a domain' };
  }
  if (/[/:@?#\s*]/.test(trimmed)) {
    return { ok: false, reason: 'a bare host name: no scheme, port, path, wildcard or spaces' };
  }
  const hostname = domainToASCII(trimmed).toLowerCase();
  if (hostname === '') return { ok: false, reason: 'not a valid internationalized domain name' };
  if (hostname.length < 3 || hostname.length > 253) {
    return { ok: false, reason: 'a host name is 3–253 characters (in its ASCII form)' };
  }
  const labels = hostname.split('.');
  if (labels.length < 2) return { ok: false, reason: 'a domain has at least two labels (example.com)' };
  if (!labels.every((label) => LABEL.test(label))) {
    return {
      ok: false,
      reason: 'each label is 1–63 letters, digits and hyphens, not starting or ending with a hyphen',
    };
  }
  if (/^\d+$/.test(labels.at(-1) as string)) return { ok: false, reason: 'an IP address is not a domain' };
  const platform = platformHost.toLowerCase().replace(/\.$/, '');
  if (hostname === platform || hostname.endsWith(`.${platform}`)) {
    return {
      ok: false,
      reason: `the platform's own host (${platform}) and its subdomains are not custom domains`,
    };
  }
  return { ok: true, hostname };
}

/** The `Host` of a request as a lookup key: port and trailing dot dropped, ASCII form, lowercase. */
export function requestHostKey(host: string | undefined): string | undefined {
  if (!host) return undefined;
  const withoutPort = host.startsWith('[') ? host : host.replace(/:\d*$/, '');
  const ascii = domainToASCII(withoutPort.replace(/\.$/, '')).toLowerCase();
  return ascii === '' ? undefined : ascii;
}
