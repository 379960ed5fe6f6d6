import { BlockList, isIP } from 'node:net';

// Where outbound calls to a tenant's point master must never land unless the
// operator allows private addresses: a tenant could otherwise make the
// follower call its own admin endpoints, cloud metadata or the internal network.
const RANGES: [reason: string, network: string, prefix: number][] = [
  ['"this network" (0.0.0.0/8)', '0.0.0.0', 8],
  ['private (10.0.0.0/8)', '10.0.0.0', 8],
  ['shared address space (100.64.0.0/10)', '100.64.0.0', 10],
  ['loopback (127.0.0.0/8)', '127.0.0.0', 8],
  ['link-local, incl. cloud metadata (169.254.0.0/16)', '169.254.0.0', 16],
  ['private (172.16.0.0/12)', '172.16.0.0', 12],
  ['private (192.168.0.0/16)', '192.168.0.0', 16],
  ['multicast (224.0.0.0/4)', '224.0.0.0', 4],
  ['reserved (240.0.0.0/4)', '240.0.0.0', 4],
  ['unspecified (::)', '::', 128],
  ['loopback (::1)', '::1', 128],
  ['unique local (fc00::/7)', 'fc00::', 7],
  ['link-local (fe80::/10)', 'fe80::', 10],
  ['multicast (ff00::/8)', 'ff00::', 8],
];

const BLOCKS = RANGES.map(([reason, network, prefix]) => {
  const list = new BlockList();
  list.addSubnet(network, prefix, isIP(network) === 6 ? 'ipv6' : 'ipv4');
  return { reason, list };
});

/**
 * Why an outbound call must not reach this IP address, or null when it may.
 * IPv4-mapped IPv6 addresses (::ffff:127.0.0.1) are judged as the IPv4 address
 * they carry. Anything that is not an IP address is refused.
 */
export function refusedAddressReason(address: string): string | null {
  const family = isIP(address);
  if (family === 0) return 'not an IP address';
  const type = family === 6 ? 'ipv6' : 'ipv4';
  return BLOCKS.find((block) => block.list.check(address, type))?.reason ?? null;
}
