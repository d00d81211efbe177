// Platform events in: published events, balance reports (which derive account.balance_low), and API
// key changes. Each is stored with its delivery jobs in one transaction before anyone is told.
import { type InternalComponents, matchesEvent, subscriptionMatches } from '@pipai/contract';
import { type Clock, formatTimestamp } from './clock.ts';
import { compareDecimals } from './decimal.ts';
import { ApiError, invalidParameter, invalidParameters, type ParameterError } from './errors.ts';
import { newEventId } from './ids.ts';
import type { AccountRepository, EventRepository, WebhookRepository } from './ports.ts';
import type { EventType, WebhookRecord } from './records.ts';

type PublishedEvent = InternalComponents['schemas']['PublishedEvent'];

export interface EventServiceDeps {
  accounts: AccountRepository;
  webhooks: WebhookRepository;
  events: EventRepository;
  clock: Clock;
  /** The errors of `data` against the payload schema of `type` in the spec; [] when valid. */
  validatePayload(type: string, data: unknown): ParameterError[];
  /** The documented example payload (`data`) of an event type. */
  exampleData(type: EventType): unknown;
  /** Called after events were stored, to wake the delivery worker. */
  onPublished?: () => void;
}

const BALANCE_LOW = 'account.balance_low';

/**
 * Event types whose events are each addressed to one webhook: a balance report derives one
 * account.balance_low per webhook whose own threshold it crosses, carrying that threshold.
 */
export const ADDRESSED_EVENT_TYPES: readonly EventType[] = [BALANCE_LOW];

export class EventService {
  readonly #deps: EventServiceDeps;

  constructor(deps: EventServiceDeps) {
    this.#deps = deps;
  }

  async #account(name: string) {
    const account = await this.#deps.accounts.findByName(name);
    // PipAI's own services name the account; "on this account" would make no sense here.
    if (!account) throw new ApiError('NOT_FOUND', `No account named ${name}.`);
    return account;
  }

  /** Stores the event and one delivery job per matching active webhook of the account. */
  async publishToAccount(accountId: string, type: EventType, data: unknown): Promise<PublishedEvent> {
    const event = { id: newEventId(), accountId, type, data, createdAt: this.#deps.clock.now() };
    await this.#deps.events.insert(event, (webhooks) =>
      webhooks.filter((webhook) => subscriptionMatches(webhook.events, type)).map((webhook) => webhook.id),
    );
    this.#deps.onPublished?.();
    return { id: event.id, type, created_at: formatTimestamp(event.createdAt) };
  }

  async publish(accountName: string, type: string, data: unknown): Promise<PublishedEvent[]> {
    if (type === BALANCE_LOW) {
      throw invalidParameter(
        'type',
        'body',
        'account.balance_low is derived from balance reports; report the balance instead',
      );
    }
    return [await this.#publishValid(accountName, type, data)];
  }

  /** The spec's example payload of `type`, a copy the caller may change. */
  examplePayload(type: EventType): unknown {
    return structuredClone(this.#deps.exampleData(type));
  }

  /**
   * A fixture event for developers (`pipai-admin trigger`): any type, its payload checked like a
   * published one. account.balance_low included: it goes to the webhooks subscribed to it, with no
   * balance report and no threshold judged.
   */
  async trigger(accountName: string, type: EventType, data: unknown): Promise<PublishedEvent[]> {
    return [await this.#publishValid(accountName, type, data)];
  }

  async #publishValid(accountName: string, type: string, data: unknown): Promise<PublishedEvent> {
    const errors = this.#deps.validatePayload(type, data);
    if (errors.length > 0) throw invalidParameters(errors);
    const account = await this.#account(accountName);
    // Validated against the spec's payload of `type`: a known event type.
    return this.publishToAccount(account.id, type as EventType, data);
  }

  /**
   * A balance report: every active webhook with a threshold whose available balance moves below it
   * (from at-or-above, or from no earlier report) gets one account.balance_low, once per crossing.
   */
  async reportBalance(accountName: string, asset: string, available: string): Promise<PublishedEvent[]> {
    const account = await this.#account(accountName);
    const now = this.#deps.clock.now();
    const watchers = (await this.#deps.webhooks.listActive(account.id)).filter(
      (webhook): webhook is WebhookRecord & { balanceLowThreshold: string } =>
        webhook.balanceLowThreshold !== null && webhook.events.some((pattern) => matchesEvent(pattern, BALANCE_LOW)),
    );
    const published = await this.#deps.events.recordBalanceCrossings(
      asset,
      watchers.map((webhook) => ({
        webhookId: webhook.id,
        below: compareDecimals(available, webhook.balanceLowThreshold) < 0,
        event: {
          id: newEventId(),
          accountId: account.id,
          type: BALANCE_LOW,
          data: { asset, available, threshold: webhook.balanceLowThreshold, observed_at: formatTimestamp(now) },
          createdAt: now,
        },
      })),
    );
    if (published.length > 0) this.#deps.onPublished?.();
    return published.map((event) => ({
      id: event.id,
      type: BALANCE_LOW,
      created_at: formatTimestamp(event.createdAt),
    }));
  }

  /** account.api_key_rotated, when a key of the account is rotated or revoked. */
  apiKeyChanged(accountId: string, apiKey: string, action: 'rotated' | 'revoked'): Promise<PublishedEvent> {
    const occurredAt = formatTimestamp(this.#deps.clock.now());
    return this.publishToAccount(accountId, 'account.api_key_rotated', {
      api_key: apiKey,
      action,
      occurred_at: occurredAt,
    });
  }
}
