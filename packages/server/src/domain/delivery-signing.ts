// Standard Webhooks signatures, as the spec documents them: `v1,` + base64 HMAC-SHA256 over
// `{webhook-id}.{webhook-timestamp}.{body}`, keyed with the webhook secret decoded from base64url.
import { createHmac } from 'node:crypto';

export function deliverySignature(secret: string, eventId: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret, 'base64url');
  return `v1,${createHmac('sha256', key).update(`${eventId}.${timestamp}.${body}`).digest('base64')}`;
}

export const USER_AGENT = 'PipAI-Webhooks/1.0';

/** The headers of one delivery attempt; one signature per secret in force (two during a rotation). */
export function deliveryHeaders(
  secrets: readonly string[],
  eventId: string,
  nowMs: number,
  body: string,
): Record<string, string> {
  const timestamp = Math.floor(nowMs / 1000);
  return {
    'content-type': 'application/json',
    'user-agent': USER_AGENT,
    'webhook-id': eventId,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': secrets.map((secret) => deliverySignature(secret, eventId, timestamp, body)).join(' '),
  };
}
