// The worker: leases due delivery jobs from the store and sends them, many at a time. A slow or
// failing endpoint only ever occupies its own few slots (per-webhook cap, bounded timeouts), so it
// never holds up the others. Several workers, in several processes, can share one PostgreSQL queue.
import type { Logger } from 'pino';
import type { SecretBox } from '../crypto/secret-box.ts';
import type { ClaimedDelivery, Store } from '../store/store.ts';
import type { Clock } from './clock.ts';
import { attemptRecord, envelopeOf, signingSecrets } from './delivery-envelope.ts';
import type { DeliverySender } from './delivery-sender.ts';
import { deliveryHeaders } from './delivery-signing.ts';
import { nextAttemptAt } from './retry-policy.ts';

export interface WorkerPolicy {
  /** Deliveries in flight at once, in this worker. */
  concurrency: number;
  /** Deliveries in flight at once to one webhook, in this worker. */
  perWebhookConcurrency: number;
  /** How long a claimed job is this worker's; after that (a crash) another worker takes it. */
  leaseMs: number;
  /** How often to look for due jobs when nobody said there were new ones. */
  pollMs: number;
  /** A webhook failing continuously this long becomes broken (PIPAI_BROKEN_AFTER). */
  brokenAfterMs: number;
  /** The jitter's randomness; injectable for tests. */
  random: () => number;
}

export const DEFAULT_WORKER_POLICY: WorkerPolicy = {
  concurrency: 64,
  perWebhookConcurrency: 4,
  leaseMs: 5 * 60_000,
  pollMs: 250,
  brokenAfterMs: 72 * 3_600_000,
  random: Math.random,
};

export class DeliveryWorker {
  readonly #store: Store;
  readonly #secrets: SecretBox;
  readonly #sender: DeliverySender;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #policy: WorkerPolicy;
  readonly #inFlight = new Map<string, number>();
  readonly #waiting = new Map<string, ClaimedDelivery[]>();
  readonly #running = new Set<Promise<void>>();
  #active = 0;
  #started = false;
  #wake: (() => void) | undefined;
  #loop: Promise<void> | undefined;

  constructor(deps: { store: Store; secrets: SecretBox; sender: DeliverySender; clock: Clock; logger: Logger; policy?: Partial<WorkerPolicy> }) {
    this.#store = deps.store;
    this.#secrets = deps.secrets;
    this.#sender = deps.sender;
    this.#clock = deps.clock;
    this.#logger = deps.logger;
    this.#policy = { ...DEFAULT_WORKER_POLICY, ...deps.policy };
  }

  /** There may be new due jobs: look now rather than at the next poll. */
  notify(): void {
    this.#wake?.();
  }

  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#loop = this.#run();
  }

  /** Stops claiming and waits for the deliveries under way (their leases would expire otherwise). */
  async stop(): Promise<void> {
    this.#started = false;
    this.notify();
    await this.#loop;
    await this.#idle();
  }

  /** One pass for tests and tools: claim everything due now, deliver it, wait for all of it. */
  async runDue(): Promise<number> {
    let delivered = 0;
    for (;;) {
      const claimed = await this.#claim();
      if (claimed === 0) break;
      delivered += claimed;
      await this.#idle();
    }
    return delivered;
  }

  async #idle(): Promise<void> {
    while (this.#running.size > 0) await Promise.all([...this.#running]);
  }

  async #run(): Promise<void> {
    while (this.#started) {
      let claimed = 0;
      try {
        claimed = await this.#claim();
      } catch (error) {
        this.#logger.error({ err: error }, 'claiming deliveries failed; retrying');
      }
      if (claimed === 0 || this.#active >= this.#policy.concurrency) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.#policy.pollMs);
          this.#wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.#wake = undefined;
      }
    }
  }

  /** Leases as many due jobs as there are free slots; starts those whose webhook has room. */
  async #claim(): Promise<number> {
    const free = this.#policy.concurrency - this.#active;
    if (free <= 0) return 0;
    const atCap = [...this.#inFlight].filter(([, count]) => count >= this.#policy.perWebhookConcurrency).map(([id]) => id);
    const claimed = await this.#store.claimDeliveries(this.#clock.now(), {
      limit: free,
      leaseMs: this.#policy.leaseMs,
      perWebhook: this.#policy.perWebhookConcurrency,
      excludeWebhookIds: atCap,
    });
    for (const delivery of claimed) {
      const queue = this.#waiting.get(delivery.webhook.id) ?? [];
      queue.push(delivery);
      this.#waiting.set(delivery.webhook.id, queue);
      this.#active += 1;
    }
    for (const webhookId of new Set(claimed.map((delivery) => delivery.webhook.id))) this.#startNext(webhookId);
    return claimed.length;
  }

  #startNext(webhookId: string): void {
    const queue = this.#waiting.get(webhookId);
    while (queue?.length && (this.#inFlight.get(webhookId) ?? 0) < this.#policy.perWebhookConcurrency) {
      const delivery = queue.shift()!;
      this.#inFlight.set(webhookId, (this.#inFlight.get(webhookId) ?? 0) + 1);
      const running: Promise<void> = this.#deliver(delivery)
        .catch((error: unknown) => this.#logger.error({ err: error, webhook_id: webhookId, event_id: delivery.event.id }, 'delivery failed unexpectedly'))
        .finally(() => {
          this.#running.delete(running);
          this.#active -= 1;
          const count = (this.#inFlight.get(webhookId) ?? 1) - 1;
          if (count > 0) this.#inFlight.set(webhookId, count);
          else this.#inFlight.delete(webhookId);
          this.#startNext(webhookId);
          // Claim again once a few slots are free (a claim per finished delivery costs more than it gains).
          const free = this.#policy.concurrency - this.#active;
          if (free >= Math.max(1, this.#policy.concurrency / 8) || this.#active === 0) this.notify();
        });
      this.#running.add(running);
    }
    if (queue?.length === 0) this.#waiting.delete(webhookId);
  }

  async #deliver(delivery: ClaimedDelivery): Promise<void> {
    const { event, webhook } = delivery;
    const startedAt = this.#clock.now();
    const body = envelopeOf(event);
    const headers = deliveryHeaders(signingSecrets(webhook, this.#secrets, startedAt), event.id, startedAt, body);
    const outcome = await this.#sender.send(webhook.url, headers, body);
    const attemptsMade = delivery.attempts + 1;
    // Redeliveries are one attempt; event deliveries follow the retry schedule.
    const retryAt =
      outcome.succeeded || delivery.trigger === 'redelivery'
        ? null
        : nextAttemptAt(attemptsMade, this.#clock.now(), outcome.retryAfterMs, this.#policy.random);
    const result = await this.#store.completeDelivery({
      jobId: delivery.jobId,
      retryAt,
      gone: outcome.gone,
      brokenAfterMs: this.#policy.brokenAfterMs,
      attempt: attemptRecord(
        event,
        webhook.id,
        delivery.trigger === 'redelivery' ? 'redelivery' : delivery.attempts === 0 ? 'event' : 'retry',
        outcome,
        startedAt,
      ),
    });
    if (result?.webhookBroke) {
      this.#logger.warn({ webhook_id: webhook.id, status: outcome.responseStatus }, 'webhook marked broken; its pending deliveries stop');
    }
  }
}
