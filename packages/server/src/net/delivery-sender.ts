// Sends deliveries with undici: keep-alive connections, a timeout per attempt, no redirects, a valid
// certificate required, and the SSRF guard at connect time: the connection dials exactly the address
// the guarded lookup approved, so a name that turns private after registration (DNS rebinding) is
// refused then and there.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import type { Readable } from 'node:stream';
import { rootCertificates } from 'node:tls';
import { Agent, request } from 'undici';
import type { DeliverySender, SendOutcome } from '../domain/ports.ts';
import type { DeliveryErrorClass } from '../domain/records.ts';

/** Why an attempt failed (an attempt that failed always has a class). */
type FailureClass = NonNullable<DeliveryErrorClass>;

import { classifyAddress } from './address-policy.ts';
import type { LookupAll } from './target-verifier.ts';

export interface DeliverySenderOptions {
  /** DNS resolution; the system resolver by default. */
  lookup?: LookupAll;
  /** Dev/test only: let hosts resolve to loopback. */
  allowLoopback?: boolean;
  /** Extra CA certificates to trust besides the system's (NODE_EXTRA_CA_CERTS works too); a function
   *  is asked again for every delivery (the dev CA of `pipai listen` may appear after start). */
  extraCa?: string[] | (() => string[]);
  timeoutMs?: number;
  /** Connections kept per endpoint origin. */
  connectionsPerOrigin?: number;
}

const SNIPPET_CHARS = 1024;
/** What the delivery log keeps of a response's headers: an endpoint must not fill it. */
const KEPT_HEADERS = 50;

/** The response headers as the log keeps them: lower case, the first 50, each value cut at 1024 characters. */
function keptHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers).slice(0, KEPT_HEADERS)) {
    if (value === undefined) continue;
    kept[name.toLowerCase()] = (Array.isArray(value) ? value.join(', ') : value).slice(0, SNIPPET_CHARS);
  }
  return kept;
}
const DRAIN_BYTES = 64 * 1024;

class BlockedAddressError extends Error {
  readonly code = 'EPIPAI_BLOCKED';
}

const systemLookup: LookupAll = (hostname) =>
  new Promise((resolve, reject) =>
    dnsLookup(hostname, { all: true, verbatim: true }, (error, addresses) =>
      error ? reject(error) : resolve(addresses),
    ),
  );

function errorCodes(error: unknown): string[] {
  const codes: string[] = [];
  for (
    let current = error as { code?: string; name?: string; cause?: unknown; errors?: unknown[] } | undefined;
    current;
    current = current.cause as typeof current
  ) {
    if (current.code) codes.push(current.code);
    if (current.name) codes.push(current.name);
    for (const inner of current.errors ?? []) codes.push(...errorCodes(inner));
  }
  return codes;
}

function classify(error: unknown): { errorClass: FailureClass; message: string } {
  const codes = errorCodes(error);
  const message = (error as Error).message;
  const has = (predicate: (code: string) => boolean) => codes.some(predicate);
  if (has((code) => code === 'EPIPAI_BLOCKED')) return { errorClass: 'blocked_address', message };
  if (has((code) => code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'ENODATA'))
    return { errorClass: 'dns', message: `the host does not resolve (${message})` };
  if (has((code) => /TIMEOUT|TimeoutError|AbortError/i.test(code)))
    return { errorClass: 'timeout', message: 'no complete response in time' };
  if (has((code) => /CERT|SELF_SIGNED|ERR_TLS|ERR_SSL|UNABLE_TO_(VERIFY|GET)|DEPTH_ZERO/.test(code)))
    return { errorClass: 'tls', message: `TLS failed: ${message}` };
  return { errorClass: 'connection', message: `connection failed: ${message}` };
}

function retryAfterMs(header: string | string[] | undefined, now: number): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * Keeps the first characters of a response body for the log and reads a bounded amount more so the
 * connection can be reused; past DRAIN_BYTES the body is destroyed. Plain listeners rather than
 * `for await`: the async iterator costs several objects per attempt, and most bodies are empty.
 */
function readSnippet(body: Readable): Promise<string> {
  return new Promise((resolve, reject) => {
    let snippet = '';
    let read = 0;
    const done = () => resolve(snippet);
    body.on('data', (chunk: Buffer) => {
      if (snippet.length < SNIPPET_CHARS) snippet += chunk.toString('utf8');
      read += chunk.length;
      if (read > DRAIN_BYTES) {
        body.destroy();
        done();
      }
    });
    body.once('end', done);
    body.once('error', reject);
    body.once('close', done); // destroyed without an error: what was read
  });
}

export function createDeliverySender(options: DeliverySenderOptions = {}): DeliverySender & { close(): Promise<void> } {
  const lookupAll = options.lookup ?? systemLookup;
  const timeoutMs = options.timeoutMs ?? 15_000;
  const allowed = (address: string) => {
    const kind = classifyAddress(address);
    return kind === 'public' || (kind === 'loopback' && options.allowLoopback === true) ? undefined : kind;
  };

  // net/tls call this to resolve the host; what it returns is what the socket dials.
  const guardedLookup = (
    hostname: string,
    lookupOptions: { all?: boolean },
    callback: (error: Error | null, address: string | LookupAddress[], family?: number) => void,
  ) => {
    lookupAll(hostname).then(
      (addresses) => {
        for (const { address } of addresses) {
          const kind = allowed(address);
          if (kind)
            return callback(
              new BlockedAddressError(`${hostname} resolves to a non-public (${kind}) address, ${address}`),
              '',
            );
        }
        if (addresses.length === 0)
          return callback(Object.assign(new Error(`${hostname} has no addresses`), { code: 'ENOTFOUND' }), '');
        if (lookupOptions.all) return callback(null, addresses as LookupAddress[]);
        return callback(null, addresses[0]!.address, addresses[0]!.family);
      },
      (error: Error) => callback(error, ''),
    );
  };

  const extraCa =
    typeof options.extraCa === 'function' ? options.extraCa : () => (options.extraCa as string[] | undefined) ?? [];
  const newAgent = (ca: string[]) =>
    new Agent({
      keepAliveTimeout: 30_000,
      connections: options.connectionsPerOrigin ?? 8,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      connect: {
        timeout: timeoutMs,
        rejectUnauthorized: true,
        lookup: guardedLookup as never,
        ...(ca.length ? { ca: [...rootCertificates, ...ca] } : {}),
      },
    });
  // One keep-alive agent per set of trusted CAs; it changes only when the dev CA does.
  let agentCa = extraCa().join('\n');
  let agent = newAgent(extraCa());
  const currentAgent = () => {
    const ca = extraCa();
    if (ca.join('\n') !== agentCa) {
      void agent.close();
      agentCa = ca.join('\n');
      agent = newAgent(ca);
    }
    return agent;
  };

  return {
    async send(url, headers, body, sendOptions = {}): Promise<SendOutcome> {
      const started = performance.now();
      const elapsed = () => Math.round(performance.now() - started);
      const failure = (errorClass: FailureClass, error: string): SendOutcome => ({
        succeeded: false,
        responseStatus: null,
        latencyMs: elapsed(),
        responseBody: null,
        responseHeaders: null,
        error,
        errorClass,
        retryAfterMs: undefined,
        gone: false,
      });
      const target = new URL(url);
      // A literal IP is never looked up: judge it here (URL has already normalized 0x7f000001 and the like).
      const literal = target.hostname.replace(/^\[|\]$/g, '');
      if (isIP(literal)) {
        const kind = allowed(literal);
        if (kind) return failure('blocked_address', `${literal} is a non-public (${kind}) address`);
      }
      // One timer per attempt, cleared when the attempt ends. AbortSignal.timeout would keep its timer
      // (and, through a WeakRef, the signal) for the whole timeout after the answer; every attempt's
      // signal then outlives the young generation and is promoted, which inflates the heap.
      const deadline = new AbortController();
      const timer = setTimeout(
        () => deadline.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')),
        Math.min(timeoutMs, sendOptions.timeoutMs ?? timeoutMs),
      );
      try {
        const response = await request(url, {
          method: 'POST',
          headers,
          body,
          dispatcher: currentAgent(),
          signal: deadline.signal,
        });
        const snippet = await readSnippet(response.body);
        const status = response.statusCode;
        const succeeded = status >= 200 && status < 300;
        return {
          succeeded,
          responseStatus: status,
          latencyMs: elapsed(),
          responseBody: snippet ? snippet.slice(0, SNIPPET_CHARS) : null,
          responseHeaders: keptHeaders(response.headers),
          error: succeeded
            ? null
            : `the endpoint answered ${status}${status >= 300 && status < 400 ? ' (redirects are not followed)' : ''}`,
          errorClass: succeeded ? null : 'http',
          retryAfterMs:
            status === 429 || status === 503 ? retryAfterMs(response.headers['retry-after'], Date.now()) : undefined,
          gone: status === 410,
        };
      } catch (error) {
        const { errorClass, message } = classify(error);
        return failure(errorClass, message);
      } finally {
        clearTimeout(timer);
      }
    },
    close: () => agent.close(),
  };
}
