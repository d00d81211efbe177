// The webhook resource: every rule of the Create and List Webhooks reference pages (encoded in
// packages/contract/test/fixtures/seeds.json) and of the spec that is not a matter of shape
// (shape is the spec's, enforced before a request gets here).
import {
  type components,
  eventTypes,
  eventWildcards,
  isEventPattern,
  matchesEvent,
  type operations,
  patternsOverlap,
  specDefaults,
  specLimits,
} from '@pipai/contract';
import type { SecretBox } from '../crypto/secret-box.ts';
import { type Clock, formatTimestamp } from './clock.ts';
import type { CursorCodec, PageWindow } from './cursor.ts';
import { ApiError, invalidParameter, notFound } from './errors.ts';
import { newWebhookId, newWebhookSecret } from './ids.ts';
import type { WebhookRepository } from './ports.ts';
import type { Principal } from './principal.ts';
import type { WebhookChanges, WebhookRecord, WebhookView } from './records.ts';
import { parseTargetUrl, TargetRejectedError, type TargetVerifier } from './target-url.ts';

type Schemas = components['schemas'];
export type Webhook = Schemas['Webhook'];

export const MAX_WEBHOOKS_PER_ACCOUNT = specLimits.webhooksPerAccount;
export const SECRET_WARNING: Schemas['SecretWarning'] =
  'Store this secret immediately — it will not be retrievable later.';
const BALANCE_LOW = 'account.balance_low';
const ALL_PATTERNS: readonly string[] = [...eventTypes, ...eventWildcards];

export interface WebhookServiceDeps {
  webhooks: WebhookRepository;
  targets: TargetVerifier;
  secrets: SecretBox;
  cursors: CursorCodec;
  clock: Clock;
}

function toWebhook(record: Omit<WebhookView, 'seq'>): Webhook {
  return {
    id: record.id,
    url: record.url,
    events: record.events,
    description: record.description,
    ...(record.balanceLowThreshold === null ? {} : { balance_low_threshold: record.balanceLowThreshold }),
    ...(record.rateLimit === null ? {} : { rate_limit: record.rateLimit }),
    status: record.status,
    consecutive_failures: record.consecutiveFailures,
    last_delivery_at: record.lastDeliveryAt === null ? null : formatTimestamp(record.lastDeliveryAt),
    last_success_at: record.lastSuccessAt === null ? null : formatTimestamp(record.lastSuccessAt),
    created_at: formatTimestamp(record.createdAt),
  };
}

/** Events must be known patterns, each once (the schema says so too; the domain does not rely on it). */
function checkEvents(events: readonly string[]): void {
  events.forEach((pattern, index) => {
    if (!isEventPattern(pattern)) {
      throw invalidParameter(
        `events[${index}]`,
        'body',
        'must be a known event type or one of strategy.*, backtest.*, account.*, *',
      );
    }
    if (events.indexOf(pattern) !== index) throw invalidParameter(`events[${index}]`, 'body', `duplicates ${pattern}`);
  });
  if (events.length === 0) throw invalidParameter('events', 'body', 'must not be empty');
}

/** The threshold in force: kept when the events cover account.balance_low, required when they name it. */
function thresholdFor(events: readonly string[], threshold: string | null): string | null {
  if (events.includes(BALANCE_LOW) && threshold === null) {
    throw invalidParameter('balance_low_threshold', 'body', 'is required while events includes account.balance_low');
  }
  return events.some((pattern) => matchesEvent(pattern, BALANCE_LOW)) ? threshold : null;
}

export class WebhookService {
  readonly #deps: WebhookServiceDeps;

  constructor(deps: WebhookServiceDeps) {
    this.#deps = deps;
  }

  async #verifyTarget(raw: string) {
    const target = parseTargetUrl(raw);
    try {
      await this.#deps.targets.verify(target.url);
    } catch (error) {
      if (error instanceof TargetRejectedError) throw invalidParameter('url', 'body', error.message);
      throw error;
    }
    return target;
  }

  async #find(principal: Principal, id: string): Promise<WebhookRecord> {
    const record = await this.#deps.webhooks.find(principal.accountId, id);
    if (!record) throw notFound(`webhook ${id}`);
    return record;
  }

  async create(principal: Principal, input: Schemas['CreateWebhookRequest']): Promise<Schemas['CreatedWebhook']> {
    checkEvents(input.events);
    const balanceLowThreshold = thresholdFor(input.events, input.balance_low_threshold ?? null);
    const target = await this.#verifyTarget(input.url);
    const secret = newWebhookSecret();
    const base = {
      accountId: principal.accountId,
      url: input.url,
      normalizedUrl: target.normalized,
      events: [...input.events],
      description: input.description ?? null,
      balanceLowThreshold,
      rateLimit: input.rate_limit ?? null,
      status: 'active' as const,
      consecutiveFailures: 0,
      lastDeliveryAt: null,
      lastSuccessAt: null,
      createdAt: this.#deps.clock.now(),
      sealedSecret: this.#deps.secrets.seal(secret),
    };
    // Ids are 32 random bits: a collision is rare but possible, so retry with a fresh one.
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const id = newWebhookId();
      const outcome = await this.#deps.webhooks.insert({ ...base, id }, MAX_WEBHOOKS_PER_ACCOUNT);
      if (outcome === 'duplicate_url') {
        throw new ApiError(
          'DUPLICATE_URL',
          `A webhook with the URL ${input.url} is already registered on this account.`,
        );
      }
      if (outcome === 'limit_reached') {
        throw new ApiError(
          'LIMIT_REACHED',
          `The account already has ${MAX_WEBHOOKS_PER_ACCOUNT} webhooks, the per-account maximum. Delete one before creating another.`,
        );
      }
      if (outcome === 'created') {
        return { ...toWebhook({ ...base, id }), secret, _secret_warning: SECRET_WARNING };
      }
    }
    throw new Error('could not allocate a unique webhook id');
  }

  async list(
    principal: Principal,
    query: NonNullable<operations['listWebhooks']['parameters']['query']>,
  ): Promise<Schemas['WebhookList']> {
    // The cursor is bound to the account and the filters (not the page size).
    const scope = `webhooks\n${principal.accountId}\n${query.status ?? ''}\n${query.event ?? ''}`;
    const event = query.event;
    return this.#deps.cursors.page(
      scope,
      query,
      (window: PageWindow) =>
        this.#deps.webhooks.list(principal.accountId, {
          ...(query.status ? { status: query.status } : {}),
          // A webhook matches when one of its patterns covers an event the filter covers.
          ...(event ? { subscribedToAny: ALL_PATTERNS.filter((pattern) => patternsOverlap(pattern, event)) } : {}),
          ...window,
        }),
      toWebhook,
    );
  }

  async get(principal: Principal, id: string): Promise<Webhook> {
    return toWebhook(await this.#find(principal, id));
  }

  async update(principal: Principal, id: string, input: Schemas['UpdateWebhookRequest']): Promise<Webhook> {
    const current = await this.#find(principal, id);
    const changes: WebhookChanges = {};
    if (input.events !== undefined) {
      checkEvents(input.events);
      changes.events = [...input.events];
    }
    const events = changes.events ?? current.events;
    const threshold =
      input.balance_low_threshold === undefined ? current.balanceLowThreshold : input.balance_low_threshold;
    changes.balanceLowThreshold = thresholdFor(events, threshold);
    if (input.description !== undefined) changes.description = input.description;
    if (input.rate_limit !== undefined) changes.rateLimit = input.rate_limit;
    if (input.status !== undefined) {
      changes.status = input.status;
      // Re-enabling a broken webhook starts its failure count afresh.
      if (input.status === 'active' && current.status === 'broken') changes.consecutiveFailures = 0;
    }
    if (input.url !== undefined && input.url !== current.url) {
      const target = await this.#verifyTarget(input.url);
      changes.url = input.url;
      changes.normalizedUrl = target.normalized;
    }
    const result = await this.#deps.webhooks.update(principal.accountId, id, changes);
    if (result.outcome === 'updated') return toWebhook(result.webhook);
    if (result.outcome === 'not_found') throw notFound(`webhook ${id}`);
    throw new ApiError('DUPLICATE_URL', `A webhook with the URL ${input.url} is already registered on this account.`);
  }

  async rotateSecret(
    principal: Principal,
    id: string,
    graceSeconds = specDefaults.secretGracePeriodSeconds,
  ): Promise<Schemas['SecretRotation']> {
    await this.#find(principal, id);
    const secret = newWebhookSecret();
    const previousExpiresAt = this.#deps.clock.now() + graceSeconds * 1000;
    const rotated = await this.#deps.webhooks.rotateSecret(
      principal.accountId,
      id,
      this.#deps.secrets.seal(secret),
      previousExpiresAt,
    );
    if (!rotated) throw notFound(`webhook ${id}`);
    return {
      id,
      secret,
      _secret_warning: SECRET_WARNING,
      previous_secret_expires_at: formatTimestamp(previousExpiresAt),
    };
  }

  async delete(principal: Principal, id: string): Promise<void> {
    if (!(await this.#deps.webhooks.delete(principal.accountId, id))) throw notFound(`webhook ${id}`);
  }
}
