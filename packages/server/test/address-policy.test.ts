// The address table, row by row: every special-purpose registry entry refused unless globally
// reachable, the more specific entry winning, and IPv4 addresses found in every IPv6 form that carries one.
import { describe, expect, it } from 'vitest';
import { ADDRESS_TABLE, addressBytes, assessAddress, classifyAddress, entryLabel } from '../src/net/address-policy.ts';

// [address, the label it is refused with]: one or more addresses inside each non-global row.
const refused: [string, string][] = [
  // IPv4 Special-Purpose Address Registry
  ['0.1.2.3', 'This network, RFC 791'],
  ['0.0.0.0', 'This host on this network, RFC 1122'],
  ['10.1.2.3', 'Private-Use, RFC 1918'],
  ['100.64.0.1', 'Shared Address Space, RFC 6598'],
  ['127.0.0.1', 'Loopback, RFC 1122'],
  ['127.255.255.254', 'Loopback, RFC 1122'],
  ['169.254.1.1', 'Link Local, RFC 3927'],
  ['172.16.5.4', 'Private-Use, RFC 1918'],
  ['192.0.0.100', 'IETF Protocol Assignments, RFC 6890'],
  ['192.0.0.1', 'IPv4 Service Continuity Prefix, RFC 7335'],
  ['192.0.0.8', 'IPv4 dummy address, RFC 7600'],
  ['192.0.0.170', 'NAT64/DNS64 Discovery, RFC 8880'],
  ['192.0.0.171', 'NAT64/DNS64 Discovery, RFC 8880'],
  ['192.0.2.1', 'Documentation (TEST-NET-1), RFC 5737'],
  ['192.88.99.1', 'Deprecated (6to4 Relay Anycast), RFC 7526'],
  ['192.88.99.2', '6a44-relay anycast address, RFC 6751'],
  ['192.168.1.1', 'Private-Use, RFC 1918'],
  ['198.18.0.1', 'Benchmarking, RFC 2544'],
  ['198.51.100.7', 'Documentation (TEST-NET-2), RFC 5737'],
  ['203.0.113.9', 'Documentation (TEST-NET-3), RFC 5737'],
  ['240.0.0.1', 'Reserved, RFC 1112'],
  ['255.255.255.255', 'Limited Broadcast, RFC 919'],
  // Not in the special-purpose registry, refused all the same
  ['224.0.0.1', 'Multicast, RFC 5771'],
  ['169.254.169.254', 'cloud metadata'],
  // IPv6 Special-Purpose Address Registry
  ['::1', 'Loopback Address, RFC 4291'],
  ['::', 'Unspecified Address, RFC 4291'],
  ['::ffff:10.0.0.1', 'Private-Use, RFC 1918, embedded in IPv4-mapped'],
  ['64:ff9b::a00:1', 'Private-Use, RFC 1918, embedded in NAT64'],
  ['64:ff9b:1::a00:1', 'IPv4-IPv6 Translat. (local-use NAT64), RFC 8215'],
  ['100::1', 'Discard-Only Address Block, RFC 6666'],
  ['100:0:0:1::1', 'Dummy IPv6 Prefix, RFC 9780'],
  ['2001:4::1', 'IETF Protocol Assignments, RFC 2928'],
  ['2001:0:4136:e378:8000:63bf:f7f7:f7f7', 'TEREDO, RFC 4380'],
  ['2001:2::1', 'Benchmarking, RFC 5180'],
  ['2001:10::1', 'Deprecated (previously ORCHID), RFC 4843'],
  ['2001:db8::1', 'Documentation, RFC 3849'],
  ['2002:808:808::1', '6to4, RFC 3056'],
  ['3fff::1', 'Documentation, RFC 9637'],
  ['5f00::1', 'Segment Routing (SRv6) SIDs, RFC 9602'],
  ['fd12:3456::1', 'Unique-Local, RFC 4193'],
  ['fe80::1', 'Link-Local Unicast, RFC 4291'],
  // Elsewhere: the IPv6 Address Space registry, deprecated forms, cloud metadata
  ['fec0::1', 'Site-Local (deprecated), RFC 3879'],
  ['ff02::1', 'Multicast, RFC 4291'],
  ['4000::1', 'Reserved by IETF (outside 2000::/3), RFC 4291'],
  ['::8.8.8.8', 'IPv4-compatible (deprecated), RFC 4291'],
  ['::ffff:0:8.8.8.8', 'IPv4-translated, RFC 2765'],
  ['fd00:ec2::254', 'cloud metadata'],
];

// Globally reachable ("True") entries, most of them inside a larger non-global block.
const globallyReachable: [string, string][] = [
  ['192.0.0.9', 'Port Control Protocol Anycast, RFC 7723'],
  ['192.0.0.10', 'Traversal Using Relays around NAT Anycast, RFC 8155'],
  ['192.31.196.1', 'AS112-v4, RFC 7535'],
  ['192.52.193.1', 'AMT, RFC 7450'],
  ['192.175.48.1', 'Direct Delegation AS112 Service, RFC 7534'],
  ['2001:1::1', 'Port Control Protocol Anycast, RFC 7723'],
  ['2001:1::2', 'Traversal Using Relays around NAT Anycast, RFC 8155'],
  ['2001:1::3', 'DNS-SD Service Registration Protocol Anycast, RFC 9665'],
  ['2001:3::1', 'AMT, RFC 7450'],
  ['2001:4:112::1', 'AS112-v6, RFC 7535'],
  ['2001:20::1', 'ORCHIDv2, RFC 7343'],
  ['2001:30::1', 'Drone Remote ID Protocol Entity Tags (DETs) Prefix, RFC 9374'],
  ['2620:4f:8000::1', 'Direct Delegation AS112 Service, RFC 7534'],
  ['64:ff9b::808:808', 'IPv4-IPv6 Translat. (NAT64), RFC 6052'],
  ['2606:4700::1111', 'Global Unicast, RFC 4291'],
];

// First and last addresses of some blocks, and the addresses just outside them.
const edges: [string, string][] = [
  ['10.0.0.0', 'Private-Use, RFC 1918'],
  ['10.255.255.255', 'Private-Use, RFC 1918'],
  ['9.255.255.255', 'public'],
  ['11.0.0.0', 'public'],
  ['100.64.0.0', 'Shared Address Space, RFC 6598'],
  ['100.127.255.255', 'Shared Address Space, RFC 6598'],
  ['100.63.255.255', 'public'],
  ['100.128.0.0', 'public'],
  ['172.16.0.0', 'Private-Use, RFC 1918'],
  ['172.31.255.255', 'Private-Use, RFC 1918'],
  ['172.15.255.255', 'public'],
  ['172.32.0.0', 'public'],
  ['192.0.0.0', 'IPv4 Service Continuity Prefix, RFC 7335'],
  ['192.0.0.7', 'IPv4 Service Continuity Prefix, RFC 7335'],
  ['192.0.0.11', 'IETF Protocol Assignments, RFC 6890'],
  ['192.0.0.255', 'IETF Protocol Assignments, RFC 6890'],
  ['191.255.255.255', 'public'],
  ['192.0.1.0', 'public'],
  ['192.168.0.0', 'Private-Use, RFC 1918'],
  ['192.168.255.255', 'Private-Use, RFC 1918'],
  ['192.167.255.255', 'public'],
  ['192.169.0.0', 'public'],
  ['198.18.0.0', 'Benchmarking, RFC 2544'],
  ['198.19.255.255', 'Benchmarking, RFC 2544'],
  ['198.17.255.255', 'public'],
  ['198.20.0.0', 'public'],
  ['223.255.255.255', 'public'],
  ['224.0.0.0', 'Multicast, RFC 5771'],
  ['239.255.255.255', 'Multicast, RFC 5771'],
  ['240.0.0.0', 'Reserved, RFC 1112'],
  ['255.255.255.254', 'Reserved, RFC 1112'],
  ['2001::', 'TEREDO, RFC 4380'],
  ['2001:1::', 'IETF Protocol Assignments, RFC 2928'],
  ['2001:1::4', 'IETF Protocol Assignments, RFC 2928'],
  ['2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff', 'IETF Protocol Assignments, RFC 2928'],
  ['2001:200::', 'Global Unicast, RFC 4291'],
  ['2001:db8::', 'Documentation, RFC 3849'],
  ['2001:db8:ffff:ffff:ffff:ffff:ffff:ffff', 'Documentation, RFC 3849'],
  ['2001:db7:ffff:ffff:ffff:ffff:ffff:ffff', 'Global Unicast, RFC 4291'],
  ['2001:db9::', 'Global Unicast, RFC 4291'],
  ['2002::', '6to4, RFC 3056'],
  ['2003::', 'Global Unicast, RFC 4291'],
  ['3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff', 'Documentation, RFC 9637'],
  ['3fff:1000::', 'Global Unicast, RFC 4291'],
  ['3ffe:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'Global Unicast, RFC 4291'],
  ['1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'Reserved by IETF (outside 2000::/3), RFC 4291'],
  ['2000::', 'Global Unicast, RFC 4291'],
  ['fc00::', 'Unique-Local, RFC 4193'],
  ['fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'Unique-Local, RFC 4193'],
  ['febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'Link-Local Unicast, RFC 4291'],
];

// IPv4 addresses inside IPv6 forms, in every form.
const embedded: [string, string][] = [
  ['::ffff:127.0.0.1', 'Loopback, RFC 1122, embedded in IPv4-mapped'],
  ['::ffff:7f00:1', 'Loopback, RFC 1122, embedded in IPv4-mapped'],
  ['::ffff:a9fe:a9fe', 'cloud metadata, embedded in IPv4-mapped'],
  ['::ffff:0.0.0.0', 'This host on this network, RFC 1122, embedded in IPv4-mapped'],
  ['::127.0.0.1', 'Loopback, RFC 1122, embedded in IPv4-compatible'],
  ['::a9fe:a9fe', 'cloud metadata, embedded in IPv4-compatible'],
  ['::ffff:0:127.0.0.1', 'Loopback, RFC 1122, embedded in IPv4-translated'],
  ['::ffff:0:a00:1', 'Private-Use, RFC 1918, embedded in IPv4-translated'],
  ['64:ff9b::7f00:1', 'Loopback, RFC 1122, embedded in NAT64'],
  ['64:ff9b::a9fe:a9fe', 'cloud metadata, embedded in NAT64'],
  ['64:ff9b::c000:aa', 'NAT64/DNS64 Discovery, RFC 8880, embedded in NAT64'],
  // RFC 6052 /48: the IPv4 address in bits 48..63 and 72..87, around the u octet (bits 64..71).
  ['64:ff9b:1:7f00:0:100::', 'Loopback, RFC 1122, embedded in local-use NAT64'],
  ['64:ff9b:1:7f00:ff00:100::', 'Loopback, RFC 1122, embedded in local-use NAT64'],
  ['64:ff9b:1:a00:0:100::', 'Private-Use, RFC 1918, embedded in local-use NAT64'],
  ['64:ff9b:1:808:8:800::', 'IPv4-IPv6 Translat. (local-use NAT64), RFC 8215'],
  ['2002:7f00:1::', 'Loopback, RFC 1122, embedded in 6to4'],
  ['2002:a9fe:a9fe::1', 'cloud metadata, embedded in 6to4'],
  ['2002:c0a8:101::1', 'Private-Use, RFC 1918, embedded in 6to4'],
  // Teredo: the client's address inverted in the last 32 bits, the server's in bits 32..63.
  ['2001:0:4136:e378:8000:63bf:80ff:fffe', 'Loopback, RFC 1122, embedded in Teredo client'],
  ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'Documentation (TEST-NET-1), RFC 5737, embedded in Teredo client'],
  ['2001:0:a00:1:8000:63bf:f7f7:f7f7', 'Private-Use, RFC 1918, embedded in Teredo server'],
];

const realPublic = [
  '8.8.8.8',
  '::ffff:8.8.8.8',
  '1.1.1.1',
  '9.9.9.9',
  '93.184.216.34',
  '2606:4700::1111',
  '2001:4860:4860::8888',
  '2620:fe::fe',
  '::ffff:1.1.1.1',
  '64:ff9b::101:101',
  '64:ff9b::c000:9',
];

describe('the address table', () => {
  it('has canonical blocks, each once', () => {
    const seen = new Set<string>();
    for (const { block } of ADDRESS_TABLE) {
      const [network = '', prefix = ''] = block.split('/');
      const bytes = addressBytes(network)!;
      const bits = Number(prefix);
      expect(bits, block).toBeLessThanOrEqual(bytes.length * 8);
      bytes.forEach((byte, index) => {
        const keep = Math.min(8, Math.max(0, bits - index * 8));
        expect(byte & (0xff >> keep), `${block} has host bits set`).toBe(0);
      });
      expect(seen.has(block), `${block} twice`).toBe(false);
      seen.add(block);
    }
  });

  it('has a test address for every row', () => {
    const covered = new Set(
      [...refused, ...globallyReachable, ...edges, ...embedded].map(([address]) => assessAddress(address).entry),
    );
    expect(ADDRESS_TABLE.filter((entry) => !covered.has(entry)).map((entry) => entry.block)).toEqual([]);
  });

  it('refuses exactly the rows that are not globally reachable', () => {
    const addresses = [...refused, ...globallyReachable, ...edges].map(([one]) => one);
    // A row that embeds an IPv4 address judges by what it carries instead (see "classification").
    const tested = ADDRESS_TABLE.filter((entry) => !entry.embeds).map(
      (entry) =>
        [entry, addresses.find((one) => assessAddress(one).entry === entry && !assessAddress(one).embedded)] as const,
    );
    expect(tested.filter(([, address]) => address === undefined).map(([entry]) => entry.block)).toEqual([]);
    for (const [entry, address] of tested) {
      expect(assessAddress(address!).public, `${address} in ${entry.block}`).toBe(entry.globallyReachable === 'True');
    }
  });
});

describe('classification', () => {
  it.each(refused)('refuses %s: %s', (address, label) => {
    const assessment = assessAddress(address);
    expect(assessment.label).toBe(label);
    expect(assessment.public).toBe(false);
    expect(classifyAddress(address)).not.toBe('public');
  });

  it.each(globallyReachable)('admits %s, globally reachable: %s', (address, label) => {
    expect(assessAddress(address)).toMatchObject({ public: true, label, entry: { globallyReachable: 'True' } });
    expect(classifyAddress(address)).toBe('public');
  });

  it.each(edges)('block edge %s is %s', (address, label) => {
    const assessment = assessAddress(address);
    expect(assessment.label).toBe(label);
    expect(assessment.public).toBe(label === 'public' || assessment.entry?.globallyReachable === 'True');
  });

  it.each(embedded)('judges %s by what it carries: %s', (address, label) => {
    const assessment = assessAddress(address);
    expect(assessment.label).toBe(label);
    expect(assessment.public).toBe(false);
    expect(assessment.embedded?.length).toBeGreaterThan(0);
  });

  it.each(realPublic)('admits the public address %s', (address) => {
    expect(assessAddress(address).public).toBe(true);
    expect(classifyAddress(address)).toBe('public');
  });

  it('names the embedded IPv4 addresses it found', () => {
    expect(
      assessAddress('2001:0:4136:e378:8000:63bf:3fff:fdd2').embedded?.map(({ form, address }) => [form, address]),
    ).toEqual([
      ['Teredo client', '192.0.2.45'],
      ['Teredo server', '65.54.227.120'],
    ]);
    expect(assessAddress('64:ff9b:1:c633:64:700::').embedded?.map(({ address }) => address)).toEqual(['198.51.100.7']);
    expect(assessAddress('2002:cb00:7109::').embedded?.map(({ address }) => address)).toEqual(['203.0.113.9']);
  });

  it('says "loopback" for plain loopback only, which the dev setting may admit', () => {
    expect(classifyAddress('127.0.0.1')).toBe('loopback');
    expect(classifyAddress('127.9.8.7')).toBe('loopback');
    expect(classifyAddress('::1')).toBe('loopback');
    expect(classifyAddress('::ffff:127.0.0.1')).toBe('Loopback, RFC 1122, embedded in IPv4-mapped');
    expect(classifyAddress('64:ff9b::7f00:1')).toBe('Loopback, RFC 1122, embedded in NAT64');
    expect(classifyAddress('10.0.0.1')).toBe('Private-Use, RFC 1918');
  });

  it('ignores an IPv6 zone id, and refuses to classify what is not an address', () => {
    expect(assessAddress('fe80::1%eth0').label).toBe('Link-Local Unicast, RFC 4291');
    expect(() => assessAddress('example.com')).toThrow(/not an IP address/);
    expect(() => assessAddress('2130706433')).toThrow(/not an IP address/);
  });

  it('labels rows by registry name and RFC', () => {
    expect(ADDRESS_TABLE.filter((entry) => entry.block === '64:ff9b:1::/48').map(entryLabel)).toEqual([
      'IPv4-IPv6 Translat. (local-use NAT64), RFC 8215',
    ]);
  });
});
