// Which IP addresses a webhook may be delivered to: globally reachable unicast only.
//
// The table has one row per entry of the IANA "IPv4 Special-Purpose Address Registry" and "IPv6
// Special-Purpose Address Registry" (RFC 6890, RFC 8190), as both stood on 2025-10-09 (the IPv6
// registry's last update then), with the registry's Name, RFC and "Globally Reachable" column. A few
// rows come from elsewhere and say where: multicast (its own registries), deprecated site-local, the
// IPv6 Address Space registry (only 2000::/3 is global unicast), the IPv4-compatible and
// IPv4-translated forms, and cloud metadata endpoints (their own class, so logs name them).
//
// An address is judged by the most specific row that contains it, so a globally reachable entry
// inside a larger non-global block (192.0.0.9/32 in 192.0.0.0/24, 2001:3::/32 in 2001::/23) wins.
// Whatever is not "True" ("False" or "N/A") is refused. IPv6 forms that carry an IPv4 address are
// judged by that address too: the IPv4-mapped form and the well-known NAT64 prefix by it alone (they
// reach that IPv4 host), the other forms are non-global themselves and name the IPv4 address only
// when it says more.
import { isIP } from 'node:net';

/** The registry's "Globally Reachable" column; for rows not from a special-purpose registry, our verdict. */
export type GloballyReachable = 'True' | 'False' | 'N/A';

export type AddressSource =
  | 'IANA IPv4 Special-Purpose'
  | 'IANA IPv6 Special-Purpose'
  | 'IANA IPv4 Multicast'
  | 'IANA IPv6 Address Space'
  | 'not an IANA registry entry';

/** Where an IPv6 form keeps its IPv4 address. */
type Layout = 'last 32 bits' | 'RFC 6052 /48' | '6to4' | 'Teredo';

interface Embedding {
  form: string;
  layout: Layout;
  /** The IPv4 address alone decides (the form only spells that host); otherwise the row is refused anyway. */
  decides: boolean;
}

export interface AddressBlock {
  block: string;
  /** As in the registry. */
  name: string;
  /** Tells apart entries the registry names alike. */
  qualifier?: string;
  rfc?: string;
  globallyReachable: GloballyReachable;
  source: AddressSource;
  embeds?: Embedding;
}

/** A row of one of the two special-purpose registries. */
const registryRow =
  (source: AddressSource) =>
  (
    block: string,
    name: string,
    rfc: string,
    globallyReachable: GloballyReachable,
    extra: Partial<AddressBlock> = {},
  ): AddressBlock => ({
    block,
    name,
    rfc,
    globallyReachable,
    source,
    ...extra,
  });
const v4 = registryRow('IANA IPv4 Special-Purpose');
const v6 = registryRow('IANA IPv6 Special-Purpose');
const embeds = (form: string, layout: Layout, decides = false) => ({ embeds: { form, layout, decides } });

export const ADDRESS_TABLE: readonly AddressBlock[] = [
  // IANA IPv4 Special-Purpose Address Registry (the registry writes the first two names in quotes).
  v4('0.0.0.0/8', 'This network', 'RFC 791', 'False'),
  v4('0.0.0.0/32', 'This host on this network', 'RFC 1122', 'False'),
  v4('10.0.0.0/8', 'Private-Use', 'RFC 1918', 'False'),
  v4('100.64.0.0/10', 'Shared Address Space', 'RFC 6598', 'False'),
  v4('127.0.0.0/8', 'Loopback', 'RFC 1122', 'False'),
  v4('169.254.0.0/16', 'Link Local', 'RFC 3927', 'False'),
  v4('172.16.0.0/12', 'Private-Use', 'RFC 1918', 'False'),
  v4('192.0.0.0/24', 'IETF Protocol Assignments', 'RFC 6890', 'False'),
  v4('192.0.0.0/29', 'IPv4 Service Continuity Prefix', 'RFC 7335', 'False'),
  v4('192.0.0.8/32', 'IPv4 dummy address', 'RFC 7600', 'False'),
  v4('192.0.0.9/32', 'Port Control Protocol Anycast', 'RFC 7723', 'True'),
  v4('192.0.0.10/32', 'Traversal Using Relays around NAT Anycast', 'RFC 8155', 'True'),
  v4('192.0.0.170/32', 'NAT64/DNS64 Discovery', 'RFC 8880', 'False'),
  v4('192.0.0.171/32', 'NAT64/DNS64 Discovery', 'RFC 8880', 'False'),
  v4('192.0.2.0/24', 'Documentation (TEST-NET-1)', 'RFC 5737', 'False'),
  v4('192.31.196.0/24', 'AS112-v4', 'RFC 7535', 'True'),
  v4('192.52.193.0/24', 'AMT', 'RFC 7450', 'True'),
  v4('192.88.99.0/24', 'Deprecated (6to4 Relay Anycast)', 'RFC 7526', 'N/A'),
  v4('192.88.99.2/32', '6a44-relay anycast address', 'RFC 6751', 'False'),
  v4('192.168.0.0/16', 'Private-Use', 'RFC 1918', 'False'),
  v4('192.175.48.0/24', 'Direct Delegation AS112 Service', 'RFC 7534', 'True'),
  v4('198.18.0.0/15', 'Benchmarking', 'RFC 2544', 'False'),
  v4('198.51.100.0/24', 'Documentation (TEST-NET-2)', 'RFC 5737', 'False'),
  v4('203.0.113.0/24', 'Documentation (TEST-NET-3)', 'RFC 5737', 'False'),
  v4('240.0.0.0/4', 'Reserved', 'RFC 1112', 'False'),
  v4('255.255.255.255/32', 'Limited Broadcast', 'RFC 919', 'False'),
  // Multicast has its own registry, not the special-purpose one; never a webhook target.
  v4('224.0.0.0/4', 'Multicast', 'RFC 5771', 'False', { source: 'IANA IPv4 Multicast' }),
  // Instance metadata services (AWS, GCP, Azure...): inside link-local already, named for the logs.
  v4('169.254.169.254/32', 'cloud metadata', '', 'False', { source: 'not an IANA registry entry' }),

  // IANA IPv6 Special-Purpose Address Registry.
  v6('::1/128', 'Loopback Address', 'RFC 4291', 'False'),
  v6('::/128', 'Unspecified Address', 'RFC 4291', 'False'),
  // The registry rates the mapped block non-global, but as a socket address it is the IPv4 host itself.
  v6('::ffff:0:0/96', 'IPv4-mapped Address', 'RFC 4291', 'False', embeds('IPv4-mapped', 'last 32 bits', true)),
  v6('64:ff9b::/96', 'IPv4-IPv6 Translat.', 'RFC 6052', 'True', {
    qualifier: 'NAT64',
    ...embeds('NAT64', 'last 32 bits', true),
  }),
  v6('64:ff9b:1::/48', 'IPv4-IPv6 Translat.', 'RFC 8215', 'False', {
    qualifier: 'local-use NAT64',
    ...embeds('local-use NAT64', 'RFC 6052 /48'),
  }),
  v6('100::/64', 'Discard-Only Address Block', 'RFC 6666', 'False'),
  v6('100:0:0:1::/64', 'Dummy IPv6 Prefix', 'RFC 9780', 'False'),
  v6('2001::/23', 'IETF Protocol Assignments', 'RFC 2928', 'False'),
  v6('2001::/32', 'TEREDO', 'RFC 4380', 'N/A', embeds('Teredo', 'Teredo')),
  v6('2001:1::1/128', 'Port Control Protocol Anycast', 'RFC 7723', 'True'),
  v6('2001:1::2/128', 'Traversal Using Relays around NAT Anycast', 'RFC 8155', 'True'),
  v6('2001:1::3/128', 'DNS-SD Service Registration Protocol Anycast', 'RFC 9665', 'True'),
  v6('2001:2::/48', 'Benchmarking', 'RFC 5180', 'False'),
  v6('2001:3::/32', 'AMT', 'RFC 7450', 'True'),
  v6('2001:4:112::/48', 'AS112-v6', 'RFC 7535', 'True'),
  v6('2001:10::/28', 'Deprecated (previously ORCHID)', 'RFC 4843', 'N/A'),
  v6('2001:20::/28', 'ORCHIDv2', 'RFC 7343', 'True'),
  v6('2001:30::/28', 'Drone Remote ID Protocol Entity Tags (DETs) Prefix', 'RFC 9374', 'True'),
  v6('2001:db8::/32', 'Documentation', 'RFC 3849', 'False'),
  v6('2002::/16', '6to4', 'RFC 3056', 'N/A', embeds('6to4', '6to4')),
  v6('2620:4f:8000::/48', 'Direct Delegation AS112 Service', 'RFC 7534', 'True'),
  v6('3fff::/20', 'Documentation', 'RFC 9637', 'False'),
  v6('5f00::/16', 'Segment Routing (SRv6) SIDs', 'RFC 9602', 'False'),
  v6('fc00::/7', 'Unique-Local', 'RFC 4193', 'False'),
  v6('fe80::/10', 'Link-Local Unicast', 'RFC 4291', 'False'),
  // The IPv6 Address Space registry: only 2000::/3 is allocated as global unicast; the rest is
  // reserved by the IETF (or one of the special blocks above, which are more specific).
  v6('::/0', 'Reserved by IETF', 'RFC 4291', 'False', {
    qualifier: 'outside 2000::/3',
    source: 'IANA IPv6 Address Space',
  }),
  v6('2000::/3', 'Global Unicast', 'RFC 4291', 'True', { source: 'IANA IPv6 Address Space' }),
  v6('fec0::/10', 'Site-Local (deprecated)', 'RFC 3879', 'False', { source: 'IANA IPv6 Address Space' }),
  v6('ff00::/8', 'Multicast', 'RFC 4291', 'False', { source: 'IANA IPv6 Address Space' }),
  // Deprecated or translator-internal forms that carry an IPv4 address; never on the public Internet.
  v6('::/96', 'IPv4-compatible (deprecated)', 'RFC 4291', 'False', {
    source: 'not an IANA registry entry',
    ...embeds('IPv4-compatible', 'last 32 bits'),
  }),
  v6('::ffff:0:0:0/96', 'IPv4-translated', 'RFC 2765', 'False', {
    source: 'not an IANA registry entry',
    ...embeds('IPv4-translated', 'last 32 bits'),
  }),
  v6('fd00:ec2::254/128', 'cloud metadata', '', 'False', { source: 'not an IANA registry entry' }),
];

export const entryLabel = (entry: AddressBlock) =>
  `${entry.name}${entry.qualifier ? ` (${entry.qualifier})` : ''}${entry.rfc ? `, ${entry.rfc}` : ''}`;

/** An address's 4 or 16 bytes, or undefined if it is not an IP address (an IPv6 zone id is ignored). */
export function addressBytes(address: string): Uint8Array | undefined {
  const text = address.replace(/%.*$/, '');
  const family = isIP(text);
  if (family === 4) return Uint8Array.from(text.split('.').map(Number));
  if (family !== 6) return undefined;
  const groups = (part: string) =>
    (part ? part.split(':') : []).flatMap((group) => {
      if (!group.includes('.')) return [parseInt(group, 16)];
      const [a, b, c, d] = group.split('.').map(Number) as [number, number, number, number];
      return [(a << 8) | b, (c << 8) | d];
    });
  const [head = '', tail] = text.split('::') as [string, string | undefined];
  const front = groups(head);
  const back = tail === undefined ? [] : groups(tail);
  const all = [...front, ...Array<number>(8 - front.length - back.length).fill(0), ...back];
  return Uint8Array.from(all.flatMap((group) => [group >> 8, group & 255]));
}

interface CompiledBlock {
  entry: AddressBlock;
  bytes: Uint8Array;
  prefix: number;
}

const compiled: CompiledBlock[] = ADDRESS_TABLE.map((entry) => {
  const [network = '', prefix = ''] = entry.block.split('/');
  const bytes = addressBytes(network);
  if (!bytes) throw new Error(`bad address block ${entry.block}`);
  return { entry, bytes, prefix: Number(prefix) };
});

function contains(block: CompiledBlock, bytes: Uint8Array): boolean {
  if (block.bytes.length !== bytes.length) return false;
  const whole = block.prefix >> 3;
  for (let index = 0; index < whole; index += 1) if (block.bytes[index] !== bytes[index]) return false;
  const bits = block.prefix & 7;
  if (bits === 0) return true;
  const mask = (0xff << (8 - bits)) & 0xff;
  return (block.bytes[whole]! & mask) === (bytes[whole]! & mask);
}

/** The most specific table row containing the address. */
function mostSpecific(bytes: Uint8Array): AddressBlock | undefined {
  let best: CompiledBlock | undefined;
  for (const block of compiled) {
    if (contains(block, bytes) && (!best || block.prefix > best.prefix)) best = block;
  }
  return best?.entry;
}

/** Where in the 16 bytes each IPv4 address of an IPv6 form sits, and how to read it. */
function embeddedFields(
  embedding: Embedding,
): { form: string; at: [number, number, number, number]; inverted?: boolean }[] {
  switch (embedding.layout) {
    case 'last 32 bits':
      return [{ form: embedding.form, at: [12, 13, 14, 15] }];
    case 'RFC 6052 /48':
      // RFC 6052 section 2.2, /48 prefix: 16 bits at 48..63, the u octet (64..71), 16 bits at 72..87.
      return [{ form: embedding.form, at: [6, 7, 9, 10] }];
    case '6to4':
      // RFC 3056: 2002:AABB:CCDD::/48, the IPv4 address in bits 16..47.
      return [{ form: embedding.form, at: [2, 3, 4, 5] }];
    case 'Teredo':
      // RFC 4380 section 4: the client (the host reached) inverted in the last 32 bits, the server in bits 32..63.
      return [
        { form: 'Teredo client', at: [12, 13, 14, 15], inverted: true },
        { form: 'Teredo server', at: [4, 5, 6, 7] },
      ];
  }
}

export interface AddressAssessment {
  address: string;
  /** A webhook may be delivered there. */
  public: boolean;
  /** Plain loopback (127.0.0.0/8, ::1), which a dev setting may admit; never set for an embedded form. */
  loopback: boolean;
  /** Why, for errors and logs: the deciding row ("Private-Use, RFC 1918"), or the embedded address's
   *  ("Loopback, RFC 1122, embedded in NAT64"), or "public" when no row applies. */
  label: string;
  /** The most specific row containing the address. */
  entry?: AddressBlock;
  /** For IPv6 forms that carry IPv4 addresses: each one, and how it was judged. */
  embedded?: { form: string; address: string; assessment: AddressAssessment }[];
}

const LOOPBACK = new Set(['127.0.0.0/8', '::1/128']);

export function assessAddress(address: string): AddressAssessment {
  const bytes = addressBytes(address);
  if (!bytes) throw new Error(`not an IP address: ${address}`);
  const entry = mostSpecific(bytes);
  if (!entry) return { address, public: true, loopback: false, label: 'public' };
  const own = { address, entry, loopback: LOOPBACK.has(entry.block), label: entryLabel(entry) };
  if (!entry.embeds) return { ...own, public: entry.globallyReachable === 'True' };

  const found = embeddedFields(entry.embeds).map(({ form, at, inverted }) => {
    const address = at.map((index) => bytes[index]! ^ (inverted ? 255 : 0)).join('.');
    return { form, address, assessment: assessAddress(address), blank: at.every((index) => bytes[index] === 0) };
  });
  const embedded = found.map(({ form, address, assessment }) => ({ form, address, assessment }));
  const blocked = found.filter((inner) => !inner.assessment.public);
  const named = (inner: (typeof found)[number]) => `${inner.assessment.label}, embedded in ${inner.form}`;
  if (entry.embeds.decides) {
    const first = blocked[0];
    return first ? { ...own, public: false, label: named(first), embedded } : { ...own, public: true, embedded };
  }
  // Refused whatever it carries; the IPv4 address is named when it says more, not when its bits are all zero.
  const telling = blocked.find((inner) => !inner.blank);
  return { ...own, public: false, label: telling ? named(telling) : own.label, embedded };
}

/** What the network guards compare: "public", "loopback" (plain loopback, which the dev setting may
 *  admit), or for anything else refused the label that says why. */
export type AddressClass = 'public' | 'loopback' | (string & {});

export function classifyAddress(address: string): AddressClass {
  const assessment = assessAddress(address);
  if (assessment.public) return 'public';
  return assessment.loopback ? 'loopback' : assessment.label;
}
