// The composition root: one place that wires store, crypto, domain and HTTP together, used by the
// server, the admin command and the tests alike.

import { readFileSync } from 'node:fs';
import { eventCatalog } from '@pipai/contract';
import { internalSpecPath } from '@pipai/contract/node';
import { createSpecValidator } from '@pipai/contract/spec-validator';
import type { Logger } from 'pino';
import { deriveKey, SecretBox } from './crypto/secret-box.ts';
import { AccountService } from './domain/accounts.ts';
import { Authenticator } from './domain/authenticator.ts';
import { type Clock, systemClock } from './domain/clock.ts';
import { CursorCodec } from './domain/cursor.ts';
import { DeliveryService } from './domain/delivery-service.ts';
import { DeliveryWorker, type WorkerPolicy } from './domain/delivery-worker.ts';
import type { ParameterError } from './domain/errors.ts';
import { EventLog } from './domain/event-log.ts';
import { EventService } from './domain/event-service.ts';
import type { DeliverySender } from './domain/ports.ts';
import { RateLimiter } from './domain/rate-limiter.ts';
import { Retention } from './domain/retention.ts';
import type { TargetVerifier } from './domain/target-url.ts';
import { WebhookService } from './domain/webhook-service.ts';
import { createApp } from './http/app.ts';
import type { CorsOrigins } from './http/cors.ts';
import { operationHandlers } from './http/handlers.ts';
import { routesOf } from './http/routes.ts';
import { Metrics } from './metrics.ts';
import { createReadiness } from './readiness.ts';
import type { Store } from './store/store.ts';

type Spec = {
  webhooks: Record<
    string,
    { post: { requestBody: { content: { 'application/json': { example: { data: unknown } } } } } }
  >;
};
export const internalSpec: object = JSON.parse(readFileSync(internalSpecPath, 'utf8'));
const specValidator = createSpecValidator(internalSpec);

/** The spec's own payload schema of each event type judges published data. */
export function validatePayload(type: string, data: unknown): ParameterError[] {
  // The event's named schema (the catalog's payload_schema), and in it the payload.
  const payload = eventCatalog.find((entry) => entry.type === type)?.payload_schema;
  if (!payload) throw new Error(`no payload schema for event type ${type}`);
  return specValidator.validate(`${payload.slice(1)}/properties/data`, data).map((error) => {
    const missing = error.keyword === 'required' ? `/${String(error.params.missingProperty)}` : '';
    const extra = error.keyword === 'additionalProperties' ? `/${String(error.params.additionalProperty)}` : '';
    const path = `${error.instancePath}${missing}${extra}`.split('/').filter(Boolean);
    const parameter = path.reduce(
      (name, segment) => (/^\d+$/.test(segment) ? `${name}[${segment}]` : `${name}.${segment}`),
      'data',
    );
    // The same words as the request validator's (validator-errors.ts) for the same faults.
    const messages: Record<string, string> = { additionalProperties: 'is not a known field', required: 'is required' };
    return { parameter, in: 'body' as const, message: messages[error.keyword] ?? error.message };
  });
}

const exampleData = (type: string) =>
  (internalSpec as Spec).webhooks[type]!.post.requestBody.content['application/json'].example.data;

/** Events in, over a store: what the server, pipai-admin and the bench publish through. */
export function eventServiceOn(store: Store, clock: Clock, onPublished?: () => void): EventService {
  return new EventService({
    accounts: store.accounts,
    webhooks: store.webhooks,
    events: store.events,
    clock,
    validatePayload,
    exampleData,
    ...(onPublished ? { onPublished } : {}),
  });
}

export interface ServiceOptions {
  store: Store;
  masterKey: Buffer;
  targets: TargetVerifier;
  sender: DeliverySender;
  logger: Logger;
  workerPolicy?: Partial<WorkerPolicy>;
  clock?: Clock;
  signatureWindowMs?: number;
  /** Failed authentications per client address and per key id per minute before 429 (default 20). */
  authFailuresPerMinute?: number;
  weightBudgetPerMinute?: number;
  internalToken?: string | undefined;
  validateResponses?: boolean;
  corsOrigins?: CorsOrigins;
}

export function createServices(options: ServiceOptions) {
  const clock = options.clock ?? systemClock;
  const secrets = new SecretBox(options.masterKey);
  // One key signs every listing's cursors; each cursor is bound to its listing's scope.
  const cursors = new CursorCodec(deriveKey(options.masterKey, 'cursors'));
  const { store } = options;
  const webhooks = new WebhookService({
    webhooks: store.webhooks,
    secrets,
    clock,
    targets: options.targets,
    cursors,
  });
  // This process's own registry: GET /metrics on the app serves it, the in-process worker feeds it.
  const metrics = new Metrics({ queue: store.queue, now: () => clock.now(), logger: options.logger });
  const worker = new DeliveryWorker({
    queue: store.queue,
    secrets,
    sender: options.sender,
    clock,
    logger: options.logger,
    policy: options.workerPolicy ?? {},
    observer: metrics,
  });
  const events = eventServiceOn(store, clock, () => worker.notify());
  const accounts = new AccountService({ accounts: store.accounts, secrets, clock, events });
  const deliveries = new DeliveryService({
    webhooks: store.webhooks,
    attempts: store.attempts,
    queue: store.queue,
    secrets,
    clock,
    sender: options.sender,
    cursors,
    exampleData,
    onQueued: () => worker.notify(),
  });
  const eventLog = new EventLog({
    events: store.events,
    attempts: store.attempts,
    queue: store.queue,
    cursors,
  });
  const handlers = operationHandlers({ webhooks, deliveries, events, eventLog });
  // Every operation of the spec has its handler, and no handler is for anything else.
  const operationIds = routesOf(internalSpec)
    .map((route) => route.operationId)
    .sort();
  if (JSON.stringify(Object.keys(handlers).sort()) !== JSON.stringify(operationIds)) {
    throw new Error(
      `handlers ${Object.keys(handlers).sort().join(',')} do not match the spec's operations ${operationIds.join(',')}`,
    );
  }
  const app = createApp({
    spec: internalSpec,
    handlers,
    authenticator: new Authenticator({
      accounts: store.accounts,
      admission: store.admission,
      rateLimiter: new RateLimiter({
        admission: store.admission,
        clock,
        budgetPerMinute: options.weightBudgetPerMinute ?? 1200,
      }),
      secrets,
      clock,
      windowMs: options.signatureWindowMs ?? 30_000,
      ...(options.authFailuresPerMinute ? { failuresPerMinute: options.authFailuresPerMinute } : {}),
    }),
    logger: options.logger,
    internalToken: options.internalToken,
    readiness: createReadiness({ store, secrets, now: () => clock.now(), logger: options.logger }),
    validateResponses: options.validateResponses ?? false,
    ...(options.corsOrigins ? { corsOrigins: options.corsOrigins } : {}),
    metrics,
  });
  // Runs where the worker runs: one pass an hour deletes what is past the spec's retention.
  const retention = new Retention({ store: store.retention, clock, logger: options.logger });
  return { app, accounts, webhooks, events, deliveries, worker, retention, secrets, metrics };
}
