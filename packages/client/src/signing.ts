// Request signing exactly as the spec's Authentication section documents it, on Web Crypto so that it
// runs in browsers and on Node 20+ alike:
//   X-PipAI-Signature = hex HMAC-SHA256(api_secret, `{timestamp}\n{METHOD}\n{path?query}\n{raw body}`)
const encoder = new TextEncoder();

export interface RequestSigner {
  /** Returns a copy of `request` carrying the three signing headers, over `body` (the request's bytes). */
  sign(request: Request, body: ArrayBuffer): Promise<Request>;
}

const toHex = (bytes: ArrayBuffer) =>
  Array.from(new Uint8Array(bytes), (byte) => byte.toString(16).padStart(2, '0')).join('');

export function canonicalBytes(
  timestamp: string,
  method: string,
  target: string,
  body: ArrayBuffer | Uint8Array,
): Uint8Array {
  const head = encoder.encode(`${timestamp}\n${method.toUpperCase()}\n${target}\n`);
  const tail = body instanceof Uint8Array ? body : new Uint8Array(body);
  const bytes = new Uint8Array(head.length + tail.length);
  bytes.set(head);
  bytes.set(tail, head.length);
  return bytes;
}

export function createRequestSigner(apiKey: string, apiSecret: string, now: () => number = Date.now): RequestSigner {
  // Identical requests signed in the same millisecond would share a signature, and the server
  // rejects the second as a replay: timestamps are kept strictly increasing.
  let last = 0;
  const key = crypto.subtle.importKey('raw', encoder.encode(apiSecret), { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
  ]);
  return {
    async sign(request, body) {
      last = Math.max(now(), last + 1);
      const timestamp = String(last);
      const url = new URL(request.url);
      const data = canonicalBytes(timestamp, request.method, `${url.pathname}${url.search}`, body);
      const signature = toHex(await crypto.subtle.sign('HMAC', await key, data as Uint8Array<ArrayBuffer>));
      const headers = new Headers(request.headers);
      headers.set('X-PipAI-API-Key', apiKey);
      headers.set('X-PipAI-Timestamp', timestamp);
      headers.set('X-PipAI-Signature', signature);
      return new Request(request.url, {
        method: request.method,
        headers,
        signal: request.signal,
        ...(body.byteLength > 0 ? { body } : {}),
      });
    },
  };
}
