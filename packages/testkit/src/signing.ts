// Signed requests exactly as the spec's Authentication section documents them, written here
// independently of the server's own code, for every test and benchmark that calls the API.
import { createHmac } from 'node:crypto';

export interface ApiKeyPair {
  api_key: string;
  api_secret: string;
}

/** Lowercase hex HMAC-SHA256(api_secret, `{timestamp}\n{METHOD}\n{path?query}\n{raw body}`). */
export function signature(
  secret: string,
  timestamp: string,
  method: string,
  target: string,
  body: string | Uint8Array,
): string {
  return createHmac('sha256', secret).update(`${timestamp}\n${method}\n${target}\n`).update(body).digest('hex');
}

/**
 * Strictly increasing request timestamps (epoch milliseconds, as text): two identical requests signed
 * in the same millisecond would carry the same signature, and the second would be a replay.
 */
export function timestamps(): () => string {
  let last = 0;
  return () => {
    last = Math.max(Date.now(), last + 1);
    return String(last);
  };
}

/**
 * A fetch for one key and server that signs every request, with strictly increasing timestamps (two
 * identical requests signed in the same millisecond would be a replay). A text body goes as
 * application/json unless `headers` say otherwise; a byte body goes with no Content-Type but theirs.
 */
export function signedFetcher(baseUrl: string, key: ApiKeyPair) {
  const nextTimestamp = timestamps();
  return (
    method: string,
    target: string,
    body: string | Uint8Array = '',
    headers: Record<string, string> = {},
  ): Promise<Response> => {
    const timestamp = nextTimestamp();
    return fetch(`${baseUrl}${target}`, {
      method,
      headers: {
        'X-PipAI-API-Key': key.api_key,
        'X-PipAI-Timestamp': timestamp,
        'X-PipAI-Signature': signature(key.api_secret, timestamp, method, target, body),
        ...(typeof body === 'string' && body ? { 'Content-Type': 'application/json' } : {}),
        ...headers,
      },
      ...(body.length ? { body: body as string | Uint8Array<ArrayBuffer> } : {}),
    });
  };
}
