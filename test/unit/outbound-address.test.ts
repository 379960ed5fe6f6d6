import { describe, expect, it } from 'vitest';
import { refusedAddressReason } from '../../src/domain/outbound-address.ts';

describe('refusedAddressReason', () => {
  it.each([
    // IPv4
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['0.0.0.0', 'this network'],
    ['0.1.2.3', 'this network'],
    ['100.64.0.1', 'shared address space'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['192.0.0.8', 'reserved'],
    ['192.0.2.10', 'reserved'],
    ['198.51.100.7', 'reserved'],
    ['203.0.113.200', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['198.19.255.254', 'reserved'],
    ['192.88.99.1', 'reserved'],
    // IPv6 of its own
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fd12:3456::1', 'unique local'],
    ['fc00::1', 'unique local'],
    ['fe80::1', 'link-local'],
    ['febf::1', 'link-local'],
    ['fec0::1', 'site-local'],
    ['feff::1', 'site-local'],
    ['ff02::1', 'multicast'],
    ['100::1', 'discard'],
    ['2001:db8::1', 'documentation'],
    ['2001:2::1', 'benchmarking'],
    ['2001:10::1', 'ORCHID'],
    // IPv4-mapped: read as the IPv4 address
    ['::ffff:127.0.0.1', 'loopback (127.0.0.0/8)'],
    ['::ffff:a9fe:a9fe', 'link-local'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:198.18.0.1', 'reserved'],
    // IPv4-translated (RFC 6145)
    ['::ffff:0:127.0.0.1', 'IPv4-translated (::ffff:0:0:0/96) form of 127.0.0.1, a loopback'],
    ['::ffff:0:a9fe:a9fe', 'form of 169.254.169.254, a link-local'],
    // IPv4-compatible (ipaddr.js reads the dotted spelling as IPv4-mapped; judged as the IPv4 address either way)
    ['::127.0.0.1', 'loopback (127.0.0.0/8)'],
    ['::a9fe:a9fe', 'IPv4-compatible (::/96) form of 169.254.169.254, a link-local'],
    ['::7f00:1', 'form of 127.0.0.1, a loopback'],
    ['::10.0.0.1', 'private'],
    // NAT64, well-known prefix: the last 32 bits
    ['64:ff9b::a9fe:a9fe', 'NAT64 (64:ff9b::/96) form of 169.254.169.254, a link-local'],
    ['64:ff9b::127.0.0.1', 'form of 127.0.0.1, a loopback'],
    ['64:ff9b::c0a8:101', 'form of 192.168.1.1, a private'],
    ['64:ff9b::198.51.100.1', 'form of 198.51.100.1, a reserved'],
    // NAT64, local-use prefix: refused whole
    ['64:ff9b:1::a9fe:a9fe', 'local-use NAT64'],
    ['64:ff9b:1:abcd::808:808', 'local-use NAT64'],
    // 6to4: bits 16-47
    ['2002:a9fe:a9fe::', '6to4 (2002::/16) form of 169.254.169.254, a link-local'],
    ['2002:7f00:1::1', 'form of 127.0.0.1, a loopback'],
    ['2002:0a00:0001:1::1', 'form of 10.0.0.1, a private'],
    // Teredo: server in bits 32-63, client in the last 32 bits inverted
    ['2001:0:4136:e378:8000:63bf:80ff:fffe', 'Teredo (2001::/32) form of 127.0.0.1, a loopback'],
    ['2001:0:4136:e378:8000:63bf:5601:5601', 'form of 169.254.169.254, a link-local'],
    ['2001:0:a00:1:8000:63bf:f7f7:f7f7', 'form of 10.0.0.1, a private'],
  ])('refuses %s as %s', (address, reason) => {
    expect(refusedAddressReason(address)).toContain(reason);
  });

  it.each([
    '93.184.215.14',
    '8.8.8.8',
    '172.15.255.255',
    '172.32.0.1',
    '100.128.0.1',
    '198.20.0.1',
    '192.0.3.1',
    '2606:4700::1111',
    '::ffff:8.8.8.8',
    '::ffff:0:8.8.8.8',
    '::8.8.8.8',
    '64:ff9b::808:808',
    '2002:808:808::1',
    '2001:0:4136:e378:8000:63bf:f7f7:f7f7',
  ])('allows %s', (address) => {
    expect(refusedAddressReason(address)).toBeNull();
  });

  it('refuses anything that is not an IP address', () => {
    expect(refusedAddressReason('localhost')).toBe('not an IP address');
    expect(refusedAddressReason('')).toBe('not an IP address');
    expect(refusedAddressReason('0x7f.1')).toBe('not an IP address');
  });
});
