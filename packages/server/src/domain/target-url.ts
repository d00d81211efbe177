// A webhook's target URL: what must hold of it as text, and the form compared for duplicates.
import { invalidParameter, type ParameterError } from './errors.ts';

export interface TargetUrl {
  url: URL;
  /** Scheme and host lower case, default port dropped, fragment dropped: equal URLs compare equal. */
  normalized: string;
}

export function parseTargetUrl(raw: string, location: ParameterError['in'] = 'body'): TargetUrl {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalidParameter('url', location, 'is not a valid URL');
  }
  if (url.protocol !== 'https:') throw invalidParameter('url', location, 'must start with https://');
  if (!url.hostname) throw invalidParameter('url', location, 'must name a host');
  url.hash = '';
  return { url, normalized: url.href };
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
