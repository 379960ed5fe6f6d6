import ipaddr from 'ipaddr.js';

// Where outbound calls to a tenant's point master must never land unless the
// operator allows private addresses: a tenant could otherwise make the
// follower call its own admin endpoints, cloud metadata or the internal
// network. ipaddr.js names the special-purpose ranges (IANA's registries);
// only what it calls plain "unicast" may be reached. The labels below say
// which range refused an address, in words an operator can act on.
const IPV4_LABELS: Record<string, string> = {
  unspecified: '"this network" (0.0.0.0/8)',
  broadcast: 'broadcast (255.255.255.255)',
  multicast: 'multicast (224.0.0.0/4)',
  linkLocal: 'link-local, incl. cloud metadata (169.254.0.0/16)',
  loopback: 'loopback (127.0.0.0/8)',
  carrierGradeNat: 'shared address space (100.64.0.0/10)',
  private: 'private (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16)',
  reserved: 'reserved, documentation or benchmarking (192.0.0.0/24, TEST-NETs, 198.18.0.0/15, 240.0.0.0/4, ...)',
  as112: 'AS112 DNS sink (192.175.48.0/24, 192.31.196.0/24)',
  amt: 'AMT relay anycast (192.52.193.0/24)',
};

const IPV6_LABELS: Record<string, string> = {
  unspecified: 'unspecified (::)',
  loopback: 'loopback (::1)',
  linkLocal: 'link-local (fe80::/10)',
  multicast: 'multicast (ff00::/8)',
  uniqueLocal: 'unique local (fc00::/7)',
  deprecatedSiteLocal: 'site-local (fec0::/10)',
  discard: 'discard-only (100::/64)',
  reserved: 'reserved or documentation (2001::/23, 2001:db8::/32, 3fff::/20)',
  benchmarking: 'benchmarking (2001:2::/48)',
  amt: 'AMT (2001:3::/32)',
  as112v6: 'AS112 DNS sink',
  deprecatedOrchid: 'ORCHID (2001:10::/28)',
  orchid2: 'ORCHIDv2 (2001:20::/28)',
  droneRemoteIdProtocolEntityTags: 'DRIP entity tag (2001:30::/28)',
  segmentRouting: 'segment routing (5f00::/16)',
};

const v4 = (high: number, low: number) => ipaddr.fromByteArray([high >> 8, high & 0xff, low >> 8, low & 0xff]) as ipaddr.IPv4;

/**
 * The IPv4 addresses an IPv6 address carries, with the name of the form that
 * carries them: traffic to such an address ends at that IPv4 host through a
 * translator or tunnel (NAT64, 6to4, Teredo), or the socket layer treats it
 * as the IPv4 address itself (mapped, compatible). Null when it carries none.
 */
function embeddedIpv4(address: ipaddr.IPv6): { form: string; carried: ipaddr.IPv4[] } | null {
  const p = address.parts;
  const last = v4(p[6]!, p[7]!);
  switch (address.range()) {
    case 'ipv4Mapped':
      return { form: 'IPv4-mapped (::ffff:0:0/96)', carried: [last] };
    case 'rfc6145':
      return { form: 'IPv4-translated (::ffff:0:0:0/96)', carried: [last] };
    case 'rfc6052':
      return { form: 'NAT64 (64:ff9b::/96)', carried: [last] };
    case '6to4':
      return { form: '6to4 (2002::/16)', carried: [v4(p[1]!, p[2]!)] };
    case 'teredo':
      // The server sits in bits 32-63; the client, the host actually reached, is the last 32 bits inverted.
      return { form: 'Teredo (2001::/32)', carried: [v4(p[2]!, p[3]!), v4(p[6]! ^ 0xffff, p[7]! ^ 0xffff)] };
    case 'unicast':
      // ::a.b.c.d, deprecated but still handed to IPv4 by some stacks; ipaddr.js does not name it.
      return p.slice(0, 6).every((part) => part === 0) ? { form: 'IPv4-compatible (::/96)', carried: [last] } : null;
    default:
      return null;
  }
}

function refusedIpv4(address: ipaddr.IPv4): string | null {
  const range = address.range();
  return range === 'unicast' ? null : (IPV4_LABELS[range] ?? range);
}

/** True for the local-use NAT64 prefix: where it puts the IPv4 address depends on the operator's prefix length (RFC 6052, 8215). */
const localUseNat64 = (address: ipaddr.IPv6) => address.match(ipaddr.IPv6.parse('64:ff9b:1::'), 48);

/**
 * Why an outbound call must not reach this IP address, or null when it may.
 * IPv6 forms that carry an IPv4 address are judged by the IPv4 rules for
 * every address they carry; the IPv4-mapped form reads exactly as the IPv4
 * address would. Anything that is not an IP address is refused.
 */
export function refusedAddressReason(address: string): string | null {
  if (!ipaddr.isValid(address) || (!ipaddr.IPv4.isValidFourPartDecimal(address) && !ipaddr.IPv6.isValid(address))) return 'not an IP address';
  const parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv4') return refusedIpv4(parsed as ipaddr.IPv4);
  const v6 = parsed as ipaddr.IPv6;
  if (localUseNat64(v6)) return 'local-use NAT64 (64:ff9b:1::/48), whose embedded IPv4 address cannot be told for sure';
  const embedded = embeddedIpv4(v6);
  if (embedded) {
    for (const carried of embedded.carried) {
      const reason = refusedIpv4(carried);
      if (reason === null) continue;
      return embedded.form.startsWith('IPv4-mapped') ? reason : `${embedded.form} form of ${carried.toString()}, a ${reason}`;
    }
    return null;
  }
  const range = v6.range();
  return range === 'unicast' ? null : (IPV6_LABELS[range] ?? range);
}
