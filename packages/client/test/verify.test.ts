// verifyWebhook for receivers: the Standard Webhooks rules, and interoperability with the public
// standardwebhooks library in both directions.
import { deliveryTestVector } from '@pipai/contract/test-vectors';
import { Webhook } from 'standardwebhooks';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { verifyWebhook, type WebhookEvent, WebhookVerificationError } from '../src/index.ts';

// The delivery test vector the spec documents (see "Verifying a delivery").
const { secret, id, timestamp, body, signature } = deliveryTestVector();
const now = Number(timestamp) * 1000;
const headers = { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': signature };

/** The library's key form for our secret: standard base64 of the decoded bytes, whsec_-prefixed. */
const libraryKey = (webhookSecret: string) => `whsec_${Buffer.from(webhookSecret, 'base64url').toString('base64')}`;

const rejection = (promise: Promise<unknown>) =>
  promise.then(
    () => 'accepted',
    (error: Error) => (error instanceof WebhookVerificationError ? error.message : `unexpected: ${error.message}`),
  );

describe('verifyWebhook', () => {
  it('accepts the documented delivery and returns the event, typed by its type', async () => {
    const event = await verifyWebhook({ secret, headers, body, now });
    expect(event).toEqual(JSON.parse(body));
    expectTypeOf(event).toEqualTypeOf<WebhookEvent>();
    if (event.type === 'strategy.deployed') {
      expectTypeOf(event.data.strategy_id).toEqualTypeOf<string>();
      expect(event.data.mode).toBe('live');
    } else {
      throw new Error('expected strategy.deployed');
    }
  });

  it('accepts Headers objects, arrays of values and bytes', async () => {
    await expect(
      verifyWebhook({ secret, headers: new Headers(headers), body: new TextEncoder().encode(body), now }),
    ).resolves.toEqual(JSON.parse(body));
    await expect(
      verifyWebhook({ secret, headers: { ...headers, 'Webhook-Id': undefined, 'webhook-id': [id] }, body, now }),
    ).resolves.toEqual(JSON.parse(body));
  });

  it('rejects a tampered body, a wrong secret, and a tampered id', async () => {
    expect(
      await rejection(verifyWebhook({ secret, headers, body: body.replace('"version":3', '"version":4'), now })),
    ).toBe('no signature matches');
    const otherSecret = Buffer.alloc(30, 1).toString('base64url');
    expect(await rejection(verifyWebhook({ secret: otherSecret, headers, body, now }))).toBe('no signature matches');
    expect(
      await rejection(
        verifyWebhook({ secret, headers: { ...headers, 'webhook-id': 'evt_000000000000000000000000' }, body, now }),
      ),
    ).toBe('no signature matches');
  });

  it('rejects stale and future timestamps beyond the tolerance, accepts within', async () => {
    expect(await rejection(verifyWebhook({ secret, headers, body, now: now + 301_000 }))).toBe(
      'webhook-timestamp is too old',
    );
    expect(await rejection(verifyWebhook({ secret, headers, body, now: now - 301_000 }))).toBe(
      'webhook-timestamp is in the future',
    );
    expect(await rejection(verifyWebhook({ secret, headers, body, now: now + 299_000 }))).toBe('accepted');
    expect(await rejection(verifyWebhook({ secret, headers, body, now: now + 20_000, toleranceSeconds: 10 }))).toBe(
      'webhook-timestamp is too old',
    );
  });

  it('rejects missing headers', async () => {
    for (const name of Object.keys(headers)) {
      const partial = { ...headers, [name]: undefined };
      expect(await rejection(verifyWebhook({ secret, headers: partial, body, now }))).toMatch(/missing/);
    }
  });

  it('accepts either of two signatures during a secret rotation', async () => {
    const newSecret = Buffer.alloc(30, 9).toString('base64url');
    const signer = new Webhook(libraryKey(newSecret));
    const date = new Date(now);
    const newSignature = signer.sign(id, date, body);
    const both = { ...headers, 'webhook-signature': `${newSignature} ${signature}` };
    await expect(verifyWebhook({ secret, headers: both, body, now })).resolves.toEqual(JSON.parse(body));
    await expect(verifyWebhook({ secret: newSecret, headers: both, body, now })).resolves.toEqual(JSON.parse(body));
    const third = Buffer.alloc(30, 3).toString('base64url');
    expect(await rejection(verifyWebhook({ secret: third, headers: both, body, now }))).toBe('no signature matches');
  });
});

describe('interoperability with the standardwebhooks library', () => {
  it('what the library signs, verifyWebhook accepts', async () => {
    const webhookSecret = Buffer.alloc(30, 42).toString('base64url');
    const signed = new Webhook(libraryKey(webhookSecret)).sign('evt_0123456789abcdef01234567', new Date(now), body);
    const libraryHeaders = {
      'webhook-id': 'evt_0123456789abcdef01234567',
      'webhook-timestamp': String(now / 1000),
      'webhook-signature': signed,
    };
    await expect(verifyWebhook({ secret: webhookSecret, headers: libraryHeaders, body, now })).resolves.toEqual(
      JSON.parse(body),
    );
  });

  it('what PipAI signs (the documented delivery), the library accepts', () => {
    const realNow = Date.now;
    Date.now = () => now;
    try {
      expect(new Webhook(libraryKey(secret)).verify(body, headers)).toEqual(JSON.parse(body));
    } finally {
      Date.now = realNow;
    }
  });
});
