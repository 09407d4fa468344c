import net from 'node:net';
import { isBlockedAddress } from '@trustplane/kernel';

const MAX_URL_LENGTH = 2048;

/**
 * Why a webhook URL is refused at creation, or undefined when it is accepted. Checked here: the
 * scheme (http or https) and a host that is literally a private, loopback or special address
 * (`10.0.0.1`, `[::1]`, `localhost`). A host name is not resolved: one that does not resolve
 * yet is accepted, and the SSRF guard decides at each delivery, against the addresses it then
 * resolves to. `allowPrivate` is the platform's `TRUSTPLANE_ALLOW_PRIVATE_WEBHOOKS` (tests, local use).
 */
export function webhookUrlProblem(value: string, allowPrivate: boolean): string | undefined {
  if (value.length > MAX_URL_LENGTH) return `must be at most ${MAX_URL_LENGTH} characters`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must use http or https';
  if (!url.hostname) return 'must name a host';
  if (allowPrivate) return undefined;
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (net.isIP(host) !== 0 && isBlockedAddress(host))
    return 'must not target a private, loopback or reserved address';
  // WHATWG URL parsing already turned `0x7f.1`, `2130706433` and friends into dotted IPv4.
  const name = host.toLowerCase().replace(/\.$/, '');
  if (name === 'localhost' || name.endsWith('.localhost')) return 'must not target a loopback host';
  return undefined;
}
