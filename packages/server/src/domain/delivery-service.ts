// The delivery operations of the API: rotate a secret, send a test, read the log, redeliver.
import {
  type components,
  eventTypes,
  matchesEvent,
  type operations,
  specLimits,
  subscriptionMatches,
} from '@pipai/contract';
import type { SecretBox } from '../crypto/secret-box.ts';
import { type Clock, formatTimestamp } from './clock.ts';
import type { CursorCodec, PageWindow } from './cursor.ts';
import { attemptRecord, envelopeOf, signingSecrets } from './delivery-envelope.ts';
import { deliveryHeaders } from './delivery-signing.ts';
import { invalidParameter, notFound, parseMoment } from './errors.ts';
import { ADDRESSED_EVENT_TYPES } from './event-service.ts';
import { newEventId } from './ids.ts';
import type { AttemptLog, DeliveryQueue, DeliverySender, WebhookRepository } from './ports.ts';
import type { Principal } from './principal.ts';
import type { DeliveryAttempt, EventType, WebhookRecord } from './records.ts';
import { RETENTION_MS } from './retention.ts';

type Schemas = components['schemas'];
export type ListDeliveriesQuery = NonNullable<operations['listWebhookDeliveries']['parameters']['query']>;

export interface DeliveryServiceDeps {
  webhooks: WebhookRepository;
  attempts: AttemptLog;
  queue: DeliveryQueue;
  secrets: SecretBox;
  clock: Clock;
  sender: DeliverySender;
  cursors: CursorCodec;
  /** The documented example payload (`data`) of an event type, for test deliveries. */
  exampleData(type: string): unknown;
  /** Called after a redelivery was queued, to wake the delivery worker. */
  onQueued?: () => void;
}

export function toDelivery(record: DeliveryAttempt): Schemas['Delivery'] {
  return {
    id: record.id,
    webhook_id: record.webhookId,
    event_id: record.eventId,
    type: record.type,
    attempt: record.attempt,
    trigger: record.trigger,
    status: record.status,
    response_status: record.responseStatus,
    latency_ms: record.latencyMs,
    response_body: record.responseBody,
    error: record.error,
    error_class: record.errorClass,
    created_at: formatTimestamp(record.createdAt),
    next_attempt_at: record.nextAttemptAt === null ? null : formatTimestamp(record.nextAttemptAt),
  };
}

export class DeliveryService {
  readonly #deps: DeliveryServiceDeps;

  constructor(deps: DeliveryServiceDeps) {
    this.#deps = deps;
  }

  async #webhook(principal: Principal, id: string): Promise<WebhookRecord> {
    const webhook = await this.#deps.webhooks.find(principal.accountId, id);
    if (!webhook) throw notFound(`webhook ${id}`);
    return webhook;
  }

  /** One synchronous, signed delivery of a synthetic event, whatever the webhook's status. */
  async test(principal: Principal, id: string, requestedType?: EventType): Promise<Schemas['WebhookTestResult']> {
    const webhook = await this.#webhook(principal, id);
    const type =
      requestedType ??
      eventTypes.find((candidate) => webhook.events.some((pattern) => matchesEvent(pattern, candidate)))!;
    const now = this.#deps.clock.now();
    const event = await this.#deps.attempts.storeTestEvent({
      id: newEventId(),
      accountId: principal.accountId,
      type,
      data: this.#deps.exampleData(type),
      createdAt: now,
    });
    const body = envelopeOf(event);
    const headers = deliveryHeaders(signingSecrets(webhook, this.#deps.secrets, now), event.id, now, body);
    const outcome = await this.#deps.sender.send(webhook.url, headers, body);
    const attempt = await this.#deps.attempts.recordTest(
      attemptRecord(event, webhook.id, 'test', outcome, now, { url: webhook.url, headers }),
    );
    return {
      delivery_id: attempt.id,
      event_id: event.id,
      type,
      success: outcome.succeeded,
      response_status: outcome.responseStatus,
      latency_ms: outcome.latencyMs,
      response_body: outcome.responseBody,
      error: outcome.error,
      error_class: outcome.errorClass,
      request_headers: headers,
    };
  }

  async list(principal: Principal, id: string, query: ListDeliveriesQuery): Promise<Schemas['DeliveryList']> {
    await this.#webhook(principal, id);
    const scope = `deliveries\n${principal.accountId}\n${id}\n${query.status ?? ''}\n${query.type ?? ''}\n${query.event_id ?? ''}`;
    return this.#deps.cursors.page(
      scope,
      query,
      (window: PageWindow) =>
        this.#deps.attempts.list(principal.accountId, id, {
          ...(query.status ? { status: query.status } : {}),
          ...(query.type ? { type: query.type } : {}),
          ...(query.event_id ? { eventId: query.event_id } : {}),
          ...window,
        }),
      toDelivery,
    );
  }

  /** One attempt in full: the log entry, the request as sent (the body rebuilt from its event), the response headers. */
  async get(principal: Principal, webhookId: string, deliveryId: string): Promise<Schemas['DeliveryDetail']> {
    await this.#webhook(principal, webhookId);
    const found = await this.#deps.attempts.findWithEvent(principal.accountId, webhookId, deliveryId);
    if (!found) throw notFound(`delivery ${deliveryId} of webhook ${webhookId}`);
    const { attempt, event } = found;
    return {
      delivery: toDelivery(attempt),
      request: attempt.request && {
        method: 'POST',
        url: attempt.request.url,
        headers: attempt.request.headers,
        body: event ? envelopeOf(event) : null,
      },
      response_headers: attempt.responseHeaders,
    };
  }

  /**
   * Queues again what the webhook missed in a window (see recoverMissed), from its creation at the
   * earliest, for the event types its subscription covers now.
   */
  async recover(
    principal: Principal,
    webhookId: string,
    window: Schemas['RecoverRequest'],
  ): Promise<Schemas['RecoveryAccepted']> {
    const webhook = await this.#webhook(principal, webhookId);
    const now = this.#deps.clock.now();
    const since = parseMoment(window.since, 'since', 'body');
    // Left out: now, rounded up to the second, so that the `until` answered (in whole seconds) is
    // the one applied, and a recovery continued with it misses nothing.
    const until =
      window.until === undefined ? Math.ceil(now / 1000) * 1000 : parseMoment(window.until, 'until', 'body');
    if (until <= since) throw invalidParameter('until', 'body', 'must be after since');
    // Never before the webhook existed, nor past retention (the attempts that say what it received
    // are gone there).
    const from = Math.max(since, webhook.createdAt, now - RETENTION_MS);
    const recovered =
      from < until
        ? await this.#deps.queue.recoverMissed(
            {
              accountId: principal.accountId,
              webhookId,
              types: eventTypes.filter((type) => subscriptionMatches(webhook.events, type)),
              addressedTypes: ADDRESSED_EVENT_TYPES,
              from,
              until,
              limit: specLimits.eventsPerRecovery,
            },
            now,
          )
        : { eventIds: [], nextFrom: null };
    if (recovered.eventIds.length > 0) this.#deps.onQueued?.();
    return {
      webhook_id: webhookId as Schemas['WebhookId'],
      since: formatTimestamp(from),
      until: formatTimestamp(until),
      queued: recovered.eventIds.length,
      event_ids: recovered.eventIds as Schemas['EventId'][],
      next_since: recovered.nextFrom === null ? null : formatTimestamp(recovered.nextFrom),
    };
  }

  /** Queues the attempt's event for one more delivery to the webhook (same webhook-id). */
  async redeliver(principal: Principal, webhookId: string, deliveryId: string): Promise<Schemas['RedeliveryAccepted']> {
    await this.#webhook(principal, webhookId);
    const attempt = await this.#deps.attempts.find(principal.accountId, webhookId, deliveryId);
    if (!attempt) throw notFound(`delivery ${deliveryId} of webhook ${webhookId}`);
    const now = this.#deps.clock.now();
    if (!(await this.#deps.queue.enqueueRedelivery(webhookId, attempt.eventId, now))) {
      throw notFound(`event ${attempt.eventId} (past retention) of delivery ${deliveryId}`);
    }
    this.#deps.onQueued?.();
    return { webhook_id: webhookId, event_id: attempt.eventId as Schemas['EventId'], queued_at: formatTimestamp(now) };
  }
}
