// The composition root: one place that wires store, crypto, domain and HTTP together, used by the
// server, the admin command and the tests alike.
import { internalSpecPath } from '@pipai/contract/node';
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { deriveKey, SecretBox } from './crypto/secret-box.ts';
import { AccountService } from './domain/accounts.ts';
import { Authenticator } from './domain/authenticator.ts';
import { systemClock, type Clock } from './domain/clock.ts';
import { CursorCodec } from './domain/cursor.ts';
import { RateLimiter } from './domain/rate-limiter.ts';
import type { TargetVerifier } from './domain/target-url.ts';
import { WebhookService } from './domain/webhook-service.ts';
import { createApp } from './http/app.ts';
import { webhookHandlers } from './http/handlers.ts';
import type { Store } from './store/store.ts';

export const internalSpec: object = JSON.parse(readFileSync(internalSpecPath, 'utf8'));

export interface ServiceOptions {
  store: Store;
  masterKey: Buffer;
  targets: TargetVerifier;
  logger: Logger;
  clock?: Clock;
  signatureWindowMs?: number;
  weightBudgetPerMinute?: number;
  internalToken?: string | undefined;
  validateResponses?: boolean;
}

export function createServices(options: ServiceOptions) {
  const clock = options.clock ?? systemClock;
  const secrets = new SecretBox(options.masterKey);
  const { store } = options;
  const accounts = new AccountService({ store, secrets, clock });
  const webhooks = new WebhookService({
    store,
    secrets,
    clock,
    targets: options.targets,
    cursors: new CursorCodec(deriveKey(options.masterKey, 'cursors')),
  });
  const app = createApp({
    spec: internalSpec,
    handlers: webhookHandlers(webhooks),
    authenticator: new Authenticator({ store, secrets, clock, windowMs: options.signatureWindowMs ?? 30_000 }),
    rateLimiter: new RateLimiter({ store, clock, budgetPerMinute: options.weightBudgetPerMinute ?? 1200 }),
    logger: options.logger,
    internalToken: options.internalToken,
    validateResponses: options.validateResponses ?? false,
  });
  return { app, accounts, webhooks, secrets };
}
