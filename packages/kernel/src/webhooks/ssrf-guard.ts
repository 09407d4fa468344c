import dns from 'node:dns';
import type http from 'node:http';
import net from 'node:net';

/** The destination is not allowed (scheme, or an address inside a private or special network). */
export class UnsafeDestinationError extends Error {
  override readonly name = 'UnsafeDestinationError';
}

export interface VettedAddress {
  address: string;
  family: 4 | 6;
}

/** A URL whose host resolved only to allowed addresses: connect to those, never resolve again. */
export interface VettedDestination {
  url: URL;
  addresses: VettedAddress[];
}

export type HostLookup = (hostname: string) => Promise<VettedAddress[]>;

export interface DestinationOptions {
  /** Development and tests only: allow loopback and private networks. */
  allowPrivate?: boolean;
  /** Resolves a host name to all its addresses; `dns.lookup` by default. */
  lookup?: HostLookup;
}

const IPV4_BLOCKED: [string, number][] = [
  ['0.0.0.0', 8], // "this network", includes the unspecified address
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT (also Alibaba's metadata 100.100.100.200)
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata 169.254.169.254
  ['172.16.0.0', 12],
  ['192.0.0.0', 24], // IETF protocol assignments (Oracle metadata 192.0.0.192)
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
];
const IPV4_BLOCKED_ADDRESSES = ['168.63.129.16']; // Azure wire server / metadata

const IPV6_BLOCKED: [string, number][] = [
  ['::', 128],
  ['::1', 128],
  ['100::', 64], // discard
  ['64:ff9b:1::', 48], // local-use NAT64
  ['2001:db8::', 32], // documentation
  ['fc00::', 7], // unique local (AWS metadata fd00:ec2::254)
  ['fe80::', 10], // link-local
  ['fec0::', 10], // deprecated site-local
  ['ff00::', 8], // multicast
];

const blocked = new net.BlockList();
for (const [network, prefix] of IPV4_BLOCKED) blocked.addSubnet(network, prefix, 'ipv4');
for (const address of IPV4_BLOCKED_ADDRESSES) blocked.addAddress(address, 'ipv4');
for (const [network, prefix] of IPV6_BLOCKED) blocked.addSubnet(network, prefix, 'ipv6');

/** The 8 16-bit groups of an IPv6 address, or undefined when it is not one. */
function ipv6Groups(address: string): number[] | undefined {
  let text = address.split('%')[0]!;
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.', lastColon)) {
    const quad = text.slice(lastColon + 1);
    if (net.isIPv4(quad) === false) return undefined;
    const [a, b, c, d] = quad.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parse = (part: string | undefined) =>
    part ? part.split(':').map((group) => Number.parseInt(group, 16)) : [];
  const head = parse(halves[0]);
  const tail = parse(halves[1]);
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  return groups.every((group) => Number.isInteger(group) && group >= 0 && group <= 0xffff)
    ? groups
    : undefined;
}

function ipv4FromGroups(high: number, low: number): string {
  return `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;
}

/** IPv4 addresses an IPv6 address carries and routes to: mapped, compatible, NAT64, 6to4. */
function embeddedIpv4(address: string): string | undefined {
  const g = ipv6Groups(address);
  if (!g) return undefined;
  const [g0, g1, g2, g3, g4, g5, g6, g7] = g as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const zeroPrefix = g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0;
  if (zeroPrefix && (g5 === 0xffff || g5 === 0)) return ipv4FromGroups(g6, g7);
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0)
    return ipv4FromGroups(g6, g7);
  if (g0 === 0x2002) return ipv4FromGroups(g1, g2);
  return undefined;
}

/** True when `address` (an IP literal) is loopback, private, link-local, reserved or metadata. */
export function isBlockedAddress(address: string): boolean {
  const family = net.isIP(address);
  if (family === 4) return blocked.check(address, 'ipv4');
  if (family !== 6) return true;
  if (blocked.check(address, 'ipv6')) return true;
  const ipv4 = embeddedIpv4(address);
  return ipv4 !== undefined && blocked.check(ipv4, 'ipv4');
}

const systemLookup: HostLookup = async (hostname) => {
  const results = await dns.promises.lookup(hostname, { all: true, verbatim: true });
  return results.map((result) => ({ address: result.address, family: result.family === 6 ? 6 : 4 }));
};

/**
 * Refuses anything but http(s) to a host whose every address is public. The URL parser has
 * already normalised numeric hosts (`http://2130706433/`, `http://0x7f.1/` → 127.0.0.1).
 * Returns the vetted addresses: connect to them (see `pinnedLookup`) so a second DNS answer
 * cannot swap in a private address (DNS rebinding). A failed DNS lookup is an ordinary
 * (retryable) error, not an `UnsafeDestinationError`.
 */
export async function assertPublicDestination(
  input: string | URL,
  options: DestinationOptions = {},
): Promise<VettedDestination> {
  let url: URL;
  try {
    url = new URL(String(input));
  } catch {
    throw new UnsafeDestinationError('destination is not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UnsafeDestinationError(`destination scheme ${url.protocol} is not allowed; use http or https`);
  }
  const host = urlHost(url);
  if (!host) throw new UnsafeDestinationError('destination has no host');
  const family = net.isIP(host);
  let addresses: VettedAddress[];
  if (family === 4 || family === 6) {
    addresses = [{ address: host, family }];
  } else {
    try {
      addresses = await (options.lookup ?? systemLookup)(host);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new Error(`cannot resolve ${host}${code ? ` (${code})` : ''}`);
    }
    if (addresses.length === 0) throw new Error(`cannot resolve ${host}`);
  }
  if (!options.allowPrivate) {
    const refused = addresses.find((candidate) => isBlockedAddress(candidate.address));
    if (refused) {
      throw new UnsafeDestinationError(
        `destination ${host} resolves to ${refused.address}, which is not a public address`,
      );
    }
  }
  return { url, addresses };
}

/** A `lookup` for `http.request` that answers with the vetted addresses only. */
export function pinnedLookup(addresses: VettedAddress[]): net.LookupFunction {
  return (_hostname, options, callback) => {
    const family = options.family;
    const wanted = family === 4 || family === 'IPv4' ? 4 : family === 6 || family === 'IPv6' ? 6 : undefined;
    const candidates = wanted ? addresses.filter((candidate) => candidate.family === wanted) : addresses;
    if (candidates.length === 0) {
      const error: NodeJS.ErrnoException = new Error('no vetted address for the requested family');
      error.code = 'ENOTFOUND';
      callback(error, '', 0);
      return;
    }
    if (options.all)
      callback(
        null,
        candidates.map((candidate) => ({ ...candidate })),
      );
    else callback(null, candidates[0]!.address, candidates[0]!.family);
  };
}

/** The URL's host as an address or name: an IPv6 literal without its brackets. */
export function urlHost(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}

/**
 * The `http(s).request` options that reach a vetted destination and nothing else: its host, port
 * and path, a private agent (no pooled socket resolved for another destination is reused) and a
 * lookup that answers only the vetted addresses (a second DNS answer cannot swap in a private one).
 */
export function pinnedRequestOptions(destination: VettedDestination): http.RequestOptions {
  const { url, addresses } = destination;
  return {
    protocol: url.protocol,
    hostname: urlHost(url),
    port: url.port || undefined,
    path: `${url.pathname}${url.search}`,
    agent: false,
    lookup: pinnedLookup(addresses),
  };
}
