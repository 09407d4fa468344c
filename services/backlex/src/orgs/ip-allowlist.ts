import { BlockList, isIP } from 'node:net';

/** An IPv4-mapped IPv6 address (`::ffff:10.0.0.1`) is the IPv4 address it carries. */
function plainAddress(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  return mapped ? (mapped[1] as string) : ip;
}

/** Entries an `ipAllowlist` may hold: an IPv4/IPv6 address or a CIDR; the reason when not. */
export function allowlistEntryProblem(entry: string): string | undefined {
  const [address, prefix, ...rest] = entry.split('/');
  if (rest.length > 0 || !address) return 'not an IP address or CIDR';
  const family = isIP(address);
  if (family === 0) return 'not an IP address or CIDR';
  if (prefix === undefined) return undefined;
  if (!/^\d{1,3}$/.test(prefix)) return 'the CIDR prefix is not a number';
  const bits = Number(prefix);
  if (bits > (family === 4 ? 32 : 128)) return `a /${bits} prefix does not exist for IPv${family}`;
  return undefined;
}

/** `net.BlockList` of the entries (each already checked by `allowlistEntryProblem`). */
export function allowlistMatcher(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address, prefix] = entry.split('/') as [string, string | undefined];
    const type = isIP(address) === 4 ? 'ipv4' : 'ipv6';
    if (prefix === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(prefix), type);
  }
  return list;
}

/** True when `ip` may reach the org: an empty list is open. */
export function ipAllowed(entries: readonly string[] | null | undefined, ip: string): boolean {
  if (!entries || entries.length === 0) return true;
  const address = plainAddress(ip);
  const family = isIP(address);
  if (family === 0) return false;
  return allowlistMatcher(entries).check(address, family === 4 ? 'ipv4' : 'ipv6');
}
