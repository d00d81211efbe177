// A webhook's target URL: what must hold of it as text, and the form compared for duplicates.
import { invalidParameter, type ParameterError } from './errors.ts';

export interface TargetUrl {
  /** The URL to check: as parsed, without its fragment and without a trailing dot on the host name. */
  url: URL;
  /** What the duplicate rule compares (see normalizeTargetUrl); the URL as supplied is what is stored. */
  normalized: string;
}

// Percent-encoded characters that mean the same decoded (RFC 3986 section 2.3 "unreserved").
const UNRESERVED = /^[A-Za-z0-9._~-]$/;

/**
 * The form two URLs must share to be the same webhook. WHATWG URL parsing does most of it: scheme
 * and host lower case, an IDN host in punycode, IP literals in canonical form (2130706433, 0x7f.1 and
 * 127.1 are all 127.0.0.1), the default port 443 dropped, an empty path made "/", and dot segments
 * (also "%2e" ones) resolved. On top of that: the fragment is dropped (it is never sent), one trailing
 * dot on a host name is dropped (example.com. is the same DNS name), and in the path percent-encoded
 * unreserved characters are decoded and other escapes get upper-case hex (%7e is ~, %2f stays %2F:
 * a receiver may tell it from "/"). The path's case and the query, even an empty one, are kept as
 * they are: receivers may tell those apart.
 */
export function normalizeTargetUrl(url: URL): string {
  const path = url.pathname.replace(/%([0-9A-Fa-f]{2})/g, (_escape, hex: string) => {
    const char = String.fromCharCode(parseInt(hex, 16));
    return UNRESERVED.test(char) ? char : `%${hex.toUpperCase()}`;
  });
  // url.search is "" for an empty query too; the serialization keeps the "?".
  const withoutFragment = url.href.replace(/#.*$/, '');
  const queryAt = withoutFragment.indexOf('?');
  const query = queryAt === -1 ? '' : withoutFragment.slice(queryAt);
  return `${url.protocol}//${url.host}${path}${query}`;
}

/** Whether the text carries a user name or password, even empty ones ("https://@host/", which
 *  parses to the same URL as "https://host/"). Mirrors where WHATWG parsing looks for them. */
function hasUserinfo(raw: string, url: URL): boolean {
  if (url.username !== '' || url.password !== '') return true;
  // WHATWG URL parsing strips leading C0 controls and spaces; so must this, to look where it looks.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: those control characters are the point
  const text = raw.replace(/[\t\n\r]/g, '').replace(/^[\u0000-\u0020]+/, '');
  const authority = text.replace(/^[A-Za-z][A-Za-z0-9+.-]*:[/\\]*/, '').split(/[/\\?#]/, 1)[0] ?? '';
  return authority.includes('@');
}

export function parseTargetUrl(raw: string, location: ParameterError['in'] = 'body'): TargetUrl {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalidParameter('url', location, 'is not a valid URL');
  }
  if (url.protocol !== 'https:') throw invalidParameter('url', location, 'must start with https://');
  // Credentials would be shown back in every GET and list, and would make a second URL for one target.
  if (hasUserinfo(raw, url)) throw invalidParameter('url', location, 'must not contain a user name or password');
  if (!url.hostname) throw invalidParameter('url', location, 'must name a host');
  url.hash = '';
  if (url.hostname.length > 1 && url.hostname.endsWith('.')) url.hostname = url.hostname.slice(0, -1);
  return { url, normalized: normalizeTargetUrl(url) };
}

/** Why a target was refused, in words for the `url` error. */
export class TargetRejectedError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'TargetRejectedError';
  }
}

/** Checks that a URL's host is publicly reachable and serves a valid certificate (see net/). */
export interface TargetVerifier {
  /** Resolves with the address that was checked; rejects with TargetRejectedError. */
  verify(url: URL): Promise<{ address: string; family: 4 | 6 }>;
}
