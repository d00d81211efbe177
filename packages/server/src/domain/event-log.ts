// The account's events as the API shows them: a page of them, and one with how each webhook's
// delivery of it went.
import type { components, operations } from '@pipai/contract';
import { formatTimestamp } from './clock.ts';
import type { CursorCodec, PageWindow } from './cursor.ts';
import { toDelivery } from './delivery-service.ts';
import { notFound, parseMoment } from './errors.ts';
import type { AttemptLog, DeliveryQueue, EventRepository } from './ports.ts';
import type { Principal } from './principal.ts';
import type { DeliveryAttempt, EventRecord } from './records.ts';

type Schemas = components['schemas'];
type ListEventsQuery = NonNullable<operations['listEvents']['parameters']['query']>;

export interface EventLogDeps {
  events: EventRepository;
  attempts: AttemptLog;
  queue: Pick<DeliveryQueue, 'webhooksWaitingFor'>;
  cursors: CursorCodec;
}

function toEvent(event: EventRecord): Schemas['Event'] {
  return {
    id: event.id as Schemas['EventId'],
    type: event.type,
    created_at: formatTimestamp(event.createdAt),
    data: event.data as Schemas['Event']['data'],
  };
}

export class EventLog {
  readonly #deps: EventLogDeps;

  constructor(deps: EventLogDeps) {
    this.#deps = deps;
  }

  async list(principal: Principal, query: ListEventsQuery): Promise<Schemas['EventList']> {
    const since = query.since === undefined ? undefined : parseMoment(query.since, 'since', 'query');
    const until = query.until === undefined ? undefined : parseMoment(query.until, 'until', 'query');
    // The cursor is bound to the account and the filters (not the page size).
    const scope = `events\n${principal.accountId}\n${query.type ?? ''}\n${query.since ?? ''}\n${query.until ?? ''}`;
    return this.#deps.cursors.page(
      scope,
      query,
      (window: PageWindow) =>
        this.#deps.events.list(principal.accountId, {
          ...(query.type ? { type: query.type } : {}),
          ...(since === undefined ? {} : { since }),
          ...(until === undefined ? {} : { until }),
          ...window,
        }),
      toEvent,
    );
  }

  async get(principal: Principal, id: string): Promise<Schemas['EventDetail']> {
    const event = await this.#deps.events.find(principal.accountId, id);
    if (!event) throw notFound(`event ${id}`);
    const [attempts, waiting] = await Promise.all([
      this.#deps.attempts.listForEvent(principal.accountId, id),
      this.#deps.queue.webhooksWaitingFor(id),
    ]);
    // One entry per webhook, in the order of its first attempt; a webhook only waiting comes last.
    const byWebhook = new Map<string, DeliveryAttempt[]>();
    for (const attempt of attempts)
      byWebhook.set(attempt.webhookId, [...(byWebhook.get(attempt.webhookId) ?? []), attempt]);
    for (const webhookId of waiting) if (!byWebhook.has(webhookId)) byWebhook.set(webhookId, []);
    return {
      event: toEvent(event),
      deliveries: [...byWebhook].map(([webhookId, made]) => ({
        webhook_id: webhookId as Schemas['WebhookId'],
        attempts: made.length,
        waiting: waiting.includes(webhookId),
        last_attempt: made.length === 0 ? null : toDelivery(made.at(-1)!),
      })),
    };
  }
}
