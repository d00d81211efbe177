// The documented test vectors reproduce: the signed-request one (Authentication) by HMAC as the
// spec describes it, and the delivery one with the public standardwebhooks library.
import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { deliveryTestVector } from '../src/test-vectors.ts';
import { loadPublicSpec } from './support.ts';

const spec = loadPublicSpec();
const description: string = spec.info.description;

describe('signed requests', () => {
  const vector = spec.components.securitySchemes.Signature['x-test-vector'];

  it('the three headers are security schemes required together by every public operation', () => {
    const schemes = spec.components.securitySchemes;
    expect([schemes.ApiKey.name, schemes.Timestamp.name, schemes.Signature.name]).toEqual([
      'X-PipAI-API-Key',
      'X-PipAI-Timestamp',
      'X-PipAI-Signature',
    ]);
    for (const item of Object.values<any>(spec.paths)) {
      for (const operation of Object.values<any>(item).filter((o) => o.operationId)) {
        expect(operation.security, operation.operationId).toHaveLength(1);
        expect(Object.keys(operation.security[0]).sort(), operation.operationId).toEqual([
          'ApiKey',
          'Signature',
          'Timestamp',
        ]);
        expect(operation.security[0].ApiKey, operation.operationId).toHaveLength(1);
      }
    }
  });

  it('the test vector reproduces from the canonical string', () => {
    const canonical = `${vector.timestamp}\n${vector.method}\n${vector.target}\n${vector.body}`;
    expect(createHmac('sha256', vector.api_secret).update(canonical).digest('hex')).toBe(vector.signature);
  });

  it('the Authentication section shows the same vector and the canonical string', () => {
    expect(description).toContain('{timestamp}\\n{METHOD}\\n{path?query as sent}\\n{raw body}');
    for (const value of [vector.api_key, vector.api_secret, vector.timestamp, vector.body, vector.signature]) {
      expect(description).toContain(value);
    }
    expect(description).toContain(
      JSON.stringify(`${vector.timestamp}\n${vector.method}\n${vector.target}\n${vector.body}`),
    );
  });
});

describe('deliveries', () => {
  const { secret, id, timestamp, body, signature } = deliveryTestVector(description);

  it('the documented delivery verifies with the standardwebhooks library, keyed as documented', () => {
    const key = `whsec_${Buffer.from(secret, 'base64url').toString('base64')}`;
    const headers = { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': signature };
    // The library rejects stale timestamps; verify "now" as the vector's time.
    const verifier = new Webhook(key);
    const realNow = Date.now;
    Date.now = () => Number(timestamp) * 1000;
    try {
      expect(verifier.verify(body, headers)).toEqual(JSON.parse(body));
      expect(() => verifier.verify(body.replace('"version":3', '"version":4'), headers)).toThrow();
    } finally {
      Date.now = realNow;
    }
  });

  it('the delivery body is the documented strategy.deployed example, and the headers are described', () => {
    const example = spec.webhooks['strategy.deployed'].post.requestBody.content['application/json'].example;
    expect(JSON.parse(body)).toEqual(example);
    const headerParams = spec.webhooks['strategy.deployed'].post.parameters.map((p: any) =>
      p.$ref ? spec.components.parameters[p.$ref.split('/').pop()] : p,
    );
    expect(headerParams.map((p: any) => p.name)).toEqual(['webhook-id', 'webhook-timestamp', 'webhook-signature']);
    expect(headerParams[2].schema.examples[0]).toBe(signature);
  });

  it('documents the retry schedule and when a webhook becomes broken', () => {
    expect(description).toMatch(
      /\| delay \| now \| 5 s \| 5 min \| 30 min \| 2 h \| 5 h \| 10 h \| 14 h \| 20 h \| 24 h \|/,
    );
    expect(description).toMatch(/failed continuously for \*\*72 hours\*\*/);
    expect(description).toMatch(/`410 Gone` becomes\s+`broken` at once/);
  });
});
