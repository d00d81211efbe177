// What the domain needs from the network to deliver: one POST, its outcome classified.
import type { components } from '@pipai/contract';

export type DeliveryErrorClass = NonNullable<components['schemas']['DeliveryErrorClass']>;

export interface SendOutcome {
  succeeded: boolean;
  responseStatus: number | null;
  latencyMs: number;
  /** The first 1024 characters of the response body. */
  responseBody: string | null;
  error: string | null;
  errorClass: DeliveryErrorClass | null;
  /** From a Retry-After header on a 429 or 503. */
  retryAfterMs: number | undefined;
  /** The endpoint answered 410 Gone. */
  gone: boolean;
}

export interface SendOptions {
  /** A shorter timeout than the sender's own, for this attempt only. */
  timeoutMs?: number;
}

export interface DeliverySender {
  send(url: string, headers: Record<string, string>, body: string, options?: SendOptions): Promise<SendOutcome>;
}
