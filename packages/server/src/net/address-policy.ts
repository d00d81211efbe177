// Which IP addresses a webhook may be delivered to: globally reachable unicast only.
//
// The table, address-registry.json (data, kept apart from the code), has one row per entry of the
// IANA "IPv4 Special-Purpose Address Registry" and "IPv6 Special-Purpose Address Registry" (RFC 6890,
// RFC 8190), as both stood on 2025-10-09 (the IPv6 registry's last update then), with the registry's
// Name, RFC and "Globally Reachable" column. A few rows come from elsewhere and say where in their
// source and note: multicast (its own registries), deprecated site-local, the IPv6 Address Space
// registry (only 2000::/3 is global unicast), the IPv4-compatible and IPv4-translated forms, and
// cloud metadata endpoints (their own class, so logs name them).
//
// An address is judged by the most specific row that contains it, so a globally reachable entry
// inside a larger non-global block (192.0.0.9/32 in 192.0.0.0/24, 2001:3::/32 in 2001::/23) wins.
// Whatever is not "True" ("False" or "N/A") is refused. IPv6 forms that carry an IPv4 address are
// judged by that address too: the IPv4-mapped form and the well-known NAT64 prefix by it alone (they
// reach that IPv4 host), the other forms are non-global themselves and name the IPv4 address only
// when it says more.
import { isIP } from 'node:net';
import registry from './address-registry.json' with { type: 'json' };

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
  /** Why a row that is not a plain registry entry is there. */
  note?: string;
}

const GLOBALLY_REACHABLE = new Set<string>(['True', 'False', 'N/A']);

/** The registry file is data, checked once as it loads so that a bad edit fails at start, not in a lookup. */
function checkedRow(row: Record<string, unknown>): AddressBlock {
  if (
    typeof row.block !== 'string' ||
    typeof row.name !== 'string' ||
    !GLOBALLY_REACHABLE.has(String(row.globallyReachable))
  )
    throw new Error(`bad row in address-registry.json: ${JSON.stringify(row)}`);
  return row as unknown as AddressBlock;
}

export const ADDRESS_TABLE: readonly AddressBlock[] = registry.map(checkedRow);

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
