// Verifying deliveries as a receiver (Standard Webhooks), on Web Crypto: browsers and Node 20+.
import type { WebhookEvent } from '@pipai/contract';

export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

export interface VerifyWebhookOptions {
  /** The webhook's signing secret, as the API returned it (base64url). */
  secret: string;
  headers: WebhookHeaders;
  /** The raw body, exactly as received: verify before parsing. */
  body: string | Uint8Array;
  /** How far webhook-timestamp may be from now. Default 300 s. */
  toleranceSeconds?: number;
  /** Unix milliseconds; for tests. */
  now?: number;
}

export class WebhookVerificationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookVerificationError';
  }
}

const encoder = new TextEncoder();

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const value = Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1];
  return Array.isArray(value) ? value[0] : value;
}

function base64ToBytes(text: string): Uint8Array | undefined {
  try {
    const binary = atob(
      text
        .replace(/-/g, '+')
        .replace(/_/g, '/')
        .padEnd(Math.ceil(text.length / 4) * 4, '='),
    );
    return Uint8Array.from(binary, (char) => char.charCodeAt(0));
  } catch {
    return undefined;
  }
}

function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let index = 0; index < a.length; index += 1) difference |= a[index]! ^ b[index]!;
  return difference === 0;
}

/** Checks signature and timestamp; returns the event typed by `type`. Throws WebhookVerificationError. */
export async function verifyWebhook(options: VerifyWebhookOptions): Promise<WebhookEvent> {
  const id = header(options.headers, 'webhook-id');
  const timestamp = header(options.headers, 'webhook-timestamp');
  const signatures = header(options.headers, 'webhook-signature');
  if (!id || !timestamp || !signatures)
    throw new WebhookVerificationError('missing webhook-id, webhook-timestamp or webhook-signature');
  if (!/^\d+$/.test(timestamp)) throw new WebhookVerificationError('webhook-timestamp is not Unix seconds');
  const skew = Number(timestamp) - Math.floor((options.now ?? Date.now()) / 1000);
  const tolerance = options.toleranceSeconds ?? 300;
  if (skew < -tolerance) throw new WebhookVerificationError('webhook-timestamp is too old');
  if (skew > tolerance) throw new WebhookVerificationError('webhook-timestamp is in the future');

  const keyBytes = base64ToBytes(options.secret.replace(/^whsec_/, ''));
  if (!keyBytes?.length) throw new WebhookVerificationError('the secret is not base64url');
  const body = typeof options.body === 'string' ? encoder.encode(options.body) : options.body;
  const prefix = encoder.encode(`${id}.${timestamp}.`);
  const signed = new Uint8Array(prefix.length + body.length);
  signed.set(prefix);
  signed.set(body, prefix.length);
  const key = await crypto.subtle.importKey(
    'raw',
    keyBytes as Uint8Array<ArrayBuffer>,
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const expected = new Uint8Array(await crypto.subtle.sign('HMAC', key, signed));

  // Any one matching signature suffices: during a rotation there are two.
  const matches = signatures
    .split(' ')
    .filter((entry) => entry.startsWith('v1,'))
    .some((entry) => {
      const given = base64ToBytes(entry.slice(3));
      return given !== undefined && constantTimeEqual(given, expected);
    });
  if (!matches) throw new WebhookVerificationError('no signature matches');
  return JSON.parse(new TextDecoder().decode(body)) as WebhookEvent;
}
