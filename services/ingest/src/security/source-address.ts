import { BlockList, isIP } from 'node:net';

/** CIDR lists (`10.0.0.0/8, 2001:db8::/32, 203.0.113.7`) as a matcher; empty means "none given". */
export function parseCidrList(text: string): { list: BlockList; size: number } {
  const list = new BlockList();
  let size = 0;
  for (const entry of text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)) {
    const [address, prefix] = entry.split('/');
    const family = isIP(address ?? '');
    if (!address || family === 0) throw new Error(`"${entry}" is not an IP address or CIDR range`);
    const type = family === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) list.addAddress(address, type);
    else {
      const bits = Number(prefix);
      if (!Number.isInteger(bits) || bits < 0 || bits > (family === 6 ? 128 : 32))
        throw new Error(`"${entry}" has an invalid prefix length`);
      list.addSubnet(address, bits, type);
    }
    size += 1;
  }
  return { list, size };
}

export function matches(list: BlockList, address: string): boolean {
  const plain = address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
  const family = isIP(plain);
  if (family === 0) return false;
  return list.check(plain, family === 6 ? 'ipv6' : 'ipv4');
}

/**
 * The address the push really came from. `X-Forwarded-For` is believed only when the direct peer
 * is a trusted proxy, and then read from the right, skipping further trusted proxies: everything
 * left of the first untrusted hop could have been written by the client itself.
 */
export function clientAddress(peer: string, forwardedFor: string | undefined, trustedProxies: BlockList): string {
  if (!forwardedFor || !matches(trustedProxies, peer)) return peer;
  const hops = forwardedFor
    .split(',')
    .map((hop) => hop.trim())
    .filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i -= 1) {
    const hop = hops[i]!;
    if (!matches(trustedProxies, hop)) return hop;
  }
  return hops[0] ?? peer;
}
