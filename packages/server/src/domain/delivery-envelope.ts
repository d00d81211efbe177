// What every delivery of an event carries: the envelope body, and the secrets that sign it.
import type { SecretBox } from '../crypto/secret-box.ts';
import { formatTimestamp } from './clock.ts';
import { newDeliveryId } from './ids.ts';
import type { SendOutcome } from './ports.ts';
import type { DeliveryTrigger, EventRecord, NewDeliveryAttempt, SentRequest, WebhookRecord } from './records.ts';

/** The delivery body: {"id","type","created_at","data"}, the same bytes on every attempt. */
export function envelopeOf(event: EventRecord): string {
  return JSON.stringify({
    id: event.id,
    type: event.type,
    created_at: formatTimestamp(event.createdAt),
    data: event.data,
  });
}

/** The secrets in force: the current one, and during a rotation's grace period the previous one. */
export function signingSecrets(webhook: WebhookRecord, secrets: SecretBox, now: number): string[] {
  const current = secrets.open(webhook.sealedSecret);
  const previousInForce =
    webhook.previousSealedSecret !== null &&
    webhook.previousSecretExpiresAt !== null &&
    webhook.previousSecretExpiresAt > now;
  return previousInForce ? [current, secrets.open(webhook.previousSealedSecret!)] : [current];
}

/** The log entry of one attempt: what was sent to whom, and how it went. */
export function attemptRecord(
  event: EventRecord,
  webhookId: string,
  trigger: DeliveryTrigger,
  outcome: SendOutcome,
  startedAt: number,
  request: SentRequest,
): NewDeliveryAttempt {
  return {
    id: newDeliveryId(),
    webhookId,
    eventId: event.id,
    type: event.type,
    trigger,
    status: outcome.succeeded ? 'succeeded' : 'failed',
    responseStatus: outcome.responseStatus,
    latencyMs: outcome.latencyMs,
    responseBody: outcome.responseBody,
    error: outcome.error,
    errorClass: outcome.errorClass,
    createdAt: startedAt,
    nextAttemptAt: null,
    request,
    responseHeaders: outcome.responseHeaders,
  };
}
