// The delivery test vector the spec's "Verifying a delivery" section documents, read from the
// bundled spec's description, so that every test checks the very values a reader sees.
import { readFileSync } from 'node:fs';
import { publicSpecPath } from './node.ts';

export interface DeliveryTestVector {
  secret: string;
  id: string;
  timestamp: string;
  body: string;
  signature: string;
}

export function deliveryTestVector(
  description: string = JSON.parse(readFileSync(publicSpecPath, 'utf8')).info.description,
): DeliveryTestVector {
  const section = description.slice(description.indexOf('Delivery test vector'));
  const find = (pattern: RegExp) => {
    const match = section.match(pattern);
    if (!match?.[1]) throw new Error(`the delivery test vector has no ${pattern}`);
    return match[1];
  };
  return {
    secret: find(/secret `([A-Za-z0-9_-]{40})`/),
    id: find(/`webhook-id`\s+`(evt_[0-9a-f]{24})`/),
    timestamp: find(/`webhook-timestamp` `(\d+)`/),
    body: find(/```\n(\{.*\})\n```/),
    signature: find(/gives `webhook-signature` `(v1,[A-Za-z0-9+/=]+)`/),
  };
}
