// The worker: leases due delivery jobs from the store and sends them, many at a time. Claims are fair
// across accounts, then endpoints, within in-flight caps all workers share (claim-policy.ts), so a
// slow, hanging or failing endpoint, or a whole account of them, only ever occupies its own slots.
// Several workers, in several processes, can share one queue; leases are fenced and renewed.
// While the database is unreachable the worker backs off (exponentially, capped) and keeps the
// outcomes of deliveries already sent until it can record them; it says so once per outage.
import type { Logger } from 'pino';
import type { SecretBox } from '../crypto/secret-box.ts';
import { FAILING_ENDPOINT_AFTER } from './claim-policy.ts';
import type { Clock } from './clock.ts';
import { attemptRecord, envelopeOf, signingSecrets } from './delivery-envelope.ts';
import { deliveryHeaders } from './delivery-signing.ts';
import { StoreUnavailableError } from './errors.ts';
import type { DeliveryQueue, DeliverySender } from './ports.ts';
import type { DeliveryJob, JobOutcome, JobOutcomeResult } from './records.ts';
import { nextAttemptAt } from './retry-policy.ts';

export interface WorkerPolicy {
  /** Deliveries in flight at once, in this worker. */
  concurrency: number;
  /** Deliveries in flight at once to one webhook, over all workers. */
  perWebhookConcurrency: number;
  /** Deliveries in flight at once for one account, over all workers: what one tenant can occupy. */
  perAccountConcurrency: number;
  /** How long a claimed job is this worker's; after that (a crash) another worker takes it. */
  leaseMs: number;
  /** How often to look for due jobs when nobody said there were new ones. */
  pollMs: number;
  /** A webhook failing continuously this long becomes broken (PIPAI_BROKEN_AFTER). */
  brokenAfterMs: number;
  /** After a failed store call: the first wait, doubled at each further failure in a row... */
  backoffMs: number;
  /** ...up to this (then jittered down by at most half, so that workers do not retry in step). */
  maxBackoffMs: number;
  /** The attempt timeout of an endpoint that failed FAILING_ENDPOINT_AFTER times in a row. */
  failingTimeoutMs: number;
  /** The jitter's randomness; injectable for tests. */
  random: () => number;
}

/** One attempt as operators see it: ids, outcome, timing; never secrets, bodies or signatures. */
export interface AttemptObservation {
  accountId: string;
  webhookId: string;
  eventId: string;
  jobId: number;
  trigger: 'event' | 'retry' | 'redelivery';
  /** `lease_lost`: sent, but another worker had taken the job over, so it was not recorded. */
  outcome: 'succeeded' | 'failed' | 'lease_lost' | 'webhook_deleted';
  responseStatus: number | null;
  errorClass: string | null;
  latencyMs: number;
}

/** Told of every attempt the worker makes (metrics). */
export interface DeliveryObserver {
  attempted(observation: AttemptObservation): void;
}

/** A batch of outcomes stays one short transaction. */
const MAX_OUTCOMES_PER_BATCH = 64;

export const DEFAULT_WORKER_POLICY: WorkerPolicy = {
  concurrency: 64,
  perWebhookConcurrency: 4,
  perAccountConcurrency: 32,
  leaseMs: 5 * 60_000,
  pollMs: 250,
  brokenAfterMs: 72 * 3_600_000,
  failingTimeoutMs: 5_000,
  backoffMs: 250,
  maxBackoffMs: 5_000,
  random: Math.random,
};

export class DeliveryWorker {
  readonly #queue: DeliveryQueue;
  readonly #secrets: SecretBox;
  readonly #sender: DeliverySender;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #policy: WorkerPolicy;
  readonly #running = new Set<Promise<void>>();
  /** The leases of the attempts under way, renewed while they run. */
  readonly #held = new Map<number, number>();
  /** Outcomes waiting to be written, and the batch being written. */
  readonly #toRecord: {
    outcome: JobOutcome;
    resolve: (result: JobOutcomeResult) => void;
    reject: (error: unknown) => void;
  }[] = [];
  #writing: Promise<void> | undefined;
  #renewal: ReturnType<typeof setInterval> | undefined;
  #active = 0;
  /** New work or a free slot was signalled while no one was waiting for it. */
  #notified = false;
  /** A claim of this worker is under way (its loop's, or with a batch of outcomes). */
  #claiming = false;
  /** The loop wanted to claim while the writer's claim was under way: it claims once that is done. */
  #claimDeferred = false;
  #started = false;
  #stopping = false;
  #wake: (() => void) | undefined;
  /** Backoff waits, cut short only by stop(). */
  readonly #pauses = new Set<() => void>();
  #loop: Promise<void> | undefined;
  /** When the store became unreachable, while it is. */
  #outageSince: number | undefined;

  readonly #observer: DeliveryObserver | undefined;

  constructor(deps: {
    queue: DeliveryQueue;
    secrets: SecretBox;
    sender: DeliverySender;
    clock: Clock;
    logger: Logger;
    policy?: Partial<WorkerPolicy>;
    observer?: DeliveryObserver;
  }) {
    this.#observer = deps.observer;
    this.#queue = deps.queue;
    this.#secrets = deps.secrets;
    this.#sender = deps.sender;
    this.#clock = deps.clock;
    this.#logger = deps.logger;
    this.#policy = { ...DEFAULT_WORKER_POLICY, ...deps.policy };
  }

  /** There may be new due jobs: look now rather than at the next poll. */
  notify(): void {
    // While a claim runs there is no one to wake: remember it, so the loop claims again at once.
    if (this.#wake) this.#wake();
    else this.#notified = true;
  }

  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#stopping = false;
    this.#loop = this.#run();
    // Well inside the lease: a renewal that fails once (a slow database) still leaves time for the next.
    this.#renewal = setInterval(() => {
      this.renewLeases().catch((error: unknown) =>
        this.#logger.debug({ err: error }, 'renewing leases failed; retrying at the next renewal'),
      );
    }, this.#policy.leaseMs / 3);
    this.#renewal.unref();
  }

  /**
   * Stops claiming and waits for the deliveries under way (their leases would expire otherwise).
   * Outcomes still waiting for the database are given up: their jobs go to a worker after the lease.
   */
  async stop(): Promise<void> {
    this.#started = false;
    this.#stopping = true;
    this.notify();
    for (const resume of this.#pauses) resume();
    await this.#loop;
    await this.#idle();
    clearInterval(this.#renewal);
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
    let failures = 0;
    while (this.#started) {
      let claimed = 0;
      try {
        // Outcomes are written in batches, so slots free several at once: let every one of them
        // free before claiming, and claim for all of them in one transaction.
        await new Promise((resolve) => setImmediate(resolve));
        if (!this.#started) break; // stopped meanwhile: start nothing new
        claimed = await this.#claim();
        failures = 0;
      } catch (error) {
        failures += 1;
        await this.#pause(this.#storeFailed(error, failures, 'claim'));
        continue;
      }
      const notified = this.#notified;
      this.#notified = false;
      if ((claimed === 0 && !notified) || this.#active >= this.#policy.concurrency) {
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

  /** Sleeps `ms`, or less if the worker stops; new work (notify) does not cut a backoff short. */
  async #pause(ms: number): Promise<void> {
    if (this.#stopping) return;
    await new Promise<void>((resolve) => {
      const resume = () => {
        clearTimeout(timer);
        this.#pauses.delete(resume);
        resolve();
      };
      const timer = setTimeout(resume, ms);
      this.#pauses.add(resume);
    });
  }

  /**
   * After the `failures`-th failed store call in a row: how long to wait, exponentially longer up to
   * the cap, jittered. An unreachable store is one outage, logged (at warn) when it starts; each retry
   * shows at debug level only. Any other failure is logged each time.
   */
  #storeFailed(error: unknown, failures: number, operation: 'claim' | 'record'): number {
    const backoffMs = Math.min(this.#policy.maxBackoffMs, this.#policy.backoffMs * 2 ** Math.min(failures - 1, 30));
    if (!(error instanceof StoreUnavailableError)) {
      this.#logger.error({ err: error, operation, backoff_ms: backoffMs }, 'store call failed; retrying');
    } else if (this.#outageSince === undefined) {
      this.#outageSince = this.#clock.now();
      this.#logger.warn({ reason: error.message }, 'database unreachable: deliveries paused, retrying with backoff');
    } else {
      this.#logger.debug({ operation, failures, backoff_ms: backoffMs }, 'database still unreachable');
    }
    return backoffMs / 2 + (backoffMs / 2) * this.#policy.random();
  }

  #reachable(): void {
    if (this.#outageSince === undefined) return;
    this.#logger.info(
      { unreachable_ms: this.#clock.now() - this.#outageSince },
      'database reachable again: deliveries resumed',
    );
    this.#outageSince = undefined;
  }

  /**
   * Records an outcome. Outcomes are written together (group commit): those that arrive while a
   * batch is being written go in the next one, so a busy worker writes far fewer transactions.
   */
  #record(outcome: JobOutcome): Promise<JobOutcomeResult> {
    return new Promise((resolve, reject) => {
      this.#toRecord.push({ outcome, resolve, reject });
      this.#writeOutcomes();
    });
  }

  #writeOutcomes(): void {
    if (this.#writing) return; // the batch under way takes the rest when it is done
    this.#writing = (async () => {
      do {
        // Outcomes that arrive in this same turn of the event loop join the batch, and the attempts
        // of the batch before hand their slots back before this one counts what it may refill.
        await new Promise((resolve) => setImmediate(resolve));
        const batch = this.#toRecord.splice(0, MAX_OUTCOMES_PER_BATCH);
        if (batch.length === 0) break;
        try {
          const { results, claimed, refilled } = await this.#complete(
            batch.map((waiting) => waiting.outcome),
            this.#freeSlots() + batch.length,
          );
          for (const [index, waiting] of batch.entries()) waiting.resolve(results[index]!);
          // Started at once, before the finished attempts hand their slots back: for a moment this
          // worker counts up to one batch more than its concurrency (the caps in the database hold).
          for (const job of claimed) this.#start(job);
          if (!refilled) this.notify(); // the loop claims for these slots instead
        } catch (error) {
          for (const waiting of batch) waiting.reject(error);
        }
      } while (this.#toRecord.length > 0);
    })().finally(() => {
      this.#writing = undefined;
    });
  }

  /**
   * Writes outcomes, waiting out an unreachable store (the endpoints have them: sending again would
   * repeat them). The first try also claims up to `slots` jobs in the same transaction, unless a
   * claim of this worker is under way; a retry only writes, and leaves claiming to the loop.
   */
  async #complete(
    outcomes: readonly JobOutcome[],
    slots: number,
  ): Promise<{ results: JobOutcomeResult[]; claimed: DeliveryJob[]; refilled: boolean }> {
    for (let failures = 1; ; failures += 1) {
      const refill = failures === 1 && this.#started && !this.#claiming && slots > 0;
      try {
        const written = refill ? await this.#completeAndClaim(outcomes, slots) : await this.#completeOnly(outcomes);
        this.#reachable();
        return { ...written, refilled: refill };
      } catch (error) {
        if (refill && !(error instanceof StoreUnavailableError)) {
          // The claim shares the outcomes' transaction: whatever failed there, write the outcomes alone.
          this.#logger.warn({ err: error }, 'recording outcomes with a claim failed; recording them alone');
          continue;
        }
        if (!(error instanceof StoreUnavailableError) || this.#stopping) throw error;
        await this.#pause(this.#storeFailed(error, failures, 'record'));
      }
    }
  }

  async #completeAndClaim(outcomes: readonly JobOutcome[], slots: number) {
    this.#claiming = true;
    try {
      return await this.#queue.completeAndClaim(outcomes, this.#clock.now(), this.#claimOptions(slots));
    } finally {
      this.#claiming = false;
      // The loop was woken meanwhile and stood back: the new work it was woken for is still unclaimed.
      if (this.#claimDeferred) {
        this.#claimDeferred = false;
        this.notify();
      }
    }
  }

  async #completeOnly(outcomes: readonly JobOutcome[]) {
    return { results: await this.#queue.complete(outcomes), claimed: [] as DeliveryJob[] };
  }

  #freeSlots(): number {
    return this.#policy.concurrency - this.#active;
  }

  #claimOptions(limit: number) {
    return {
      limit,
      leaseMs: this.#policy.leaseMs,
      perWebhook: this.#policy.perWebhookConcurrency,
      perAccount: this.#policy.perAccountConcurrency,
    };
  }

  /**
   * Leases as many due jobs as there are free slots, chosen fairly (claim-policy.ts) within the
   * in-flight caps every worker shares, and starts every one at once: a job is leased only when its
   * attempt starts, never parked while its lease runs out. One claim at a time per worker.
   */
  async #claim(): Promise<number> {
    const free = this.#freeSlots();
    if (this.#claiming) this.#claimDeferred = true;
    if (free <= 0 || this.#claiming) return 0;
    this.#claiming = true;
    try {
      const claimed = await this.#queue.claim(this.#clock.now(), this.#claimOptions(free));
      this.#reachable();
      for (const job of claimed) this.#start(job);
      return claimed.length;
    } finally {
      this.#claiming = false;
    }
  }

  #start(job: DeliveryJob): void {
    const webhookId = job.webhook.id;
    this.#active += 1;
    this.#held.set(job.id, job.lease);
    const running: Promise<void> = this.#deliver(job)
      .catch((error: unknown) => {
        const context = { webhook_id: webhookId, event_id: job.event.id };
        if (error instanceof StoreUnavailableError) {
          this.#logger.warn(
            { ...context, lease_ms: this.#policy.leaseMs },
            'stopped before the outcome could be recorded; the job is retried after its lease',
          );
        } else {
          this.#logger.error({ err: error, ...context }, 'delivery failed unexpectedly');
        }
      })
      .finally(() => {
        this.#running.delete(running);
        this.#held.delete(job.id);
        this.#active -= 1;
        // A finished attempt's slot is refilled with its outcome's batch; an idle worker looks at once.
        if (this.#active === 0) this.notify();
      });
    this.#running.add(running);
  }

  /** Extends the leases of the attempts under way; one no longer held will not be recorded (fenced). */
  async renewLeases(): Promise<void> {
    const held = [...this.#held].map(([jobId, lease]) => ({ jobId, lease }));
    if (held.length === 0) return;
    const renewed = new Set(await this.#queue.renew(held, this.#clock.now() + this.#policy.leaseMs));
    const lost = held.filter((lease) => !renewed.has(lease.jobId) && this.#held.get(lease.jobId) === lease.lease);
    if (lost.length)
      this.#logger.warn(
        { jobs: lost.map((lease) => lease.jobId) },
        'leases taken over by another worker while their attempts ran',
      );
  }

  async #deliver(job: DeliveryJob): Promise<void> {
    const { event, webhook } = job;
    const startedAt = this.#clock.now();
    const body = envelopeOf(event);
    const headers = deliveryHeaders(signingSecrets(webhook, this.#secrets, startedAt), event.id, startedAt, body);
    // An endpoint that keeps failing gets a shorter leash as well as a single slot (claim-policy.ts).
    const failing = webhook.consecutiveFailures >= FAILING_ENDPOINT_AFTER;
    const outcome = await this.#sender.send(
      webhook.url,
      headers,
      body,
      failing ? { timeoutMs: this.#policy.failingTimeoutMs } : {},
    );
    const attemptsMade = job.attempts + 1;
    const trigger = job.trigger === 'redelivery' ? 'redelivery' : job.attempts === 0 ? 'event' : 'retry';
    // Redeliveries are one attempt; event deliveries follow the retry schedule.
    const retryAt =
      outcome.succeeded || job.trigger === 'redelivery'
        ? null
        : nextAttemptAt(attemptsMade, this.#clock.now(), outcome.retryAfterMs, this.#policy.random);
    const result = await this.#record({
      jobId: job.id,
      lease: job.lease,
      retryAt,
      gone: outcome.gone,
      brokenAfterMs: this.#policy.brokenAfterMs,
      attempt: attemptRecord(event, webhook.id, trigger, outcome, startedAt, { url: webhook.url, headers }),
    });
    const observation: AttemptObservation = {
      accountId: webhook.accountId,
      webhookId: webhook.id,
      eventId: event.id,
      jobId: job.id,
      trigger,
      outcome: result.outcome === 'recorded' ? (outcome.succeeded ? 'succeeded' : 'failed') : result.outcome,
      responseStatus: outcome.responseStatus,
      errorClass: outcome.errorClass,
      latencyMs: outcome.latencyMs,
    };
    this.#logger.info(
      {
        account_id: observation.accountId,
        webhook_id: observation.webhookId,
        event_id: observation.eventId,
        job_id: observation.jobId,
        trigger,
        outcome: observation.outcome,
        status: observation.responseStatus,
        error_class: observation.errorClass,
        latency_ms: observation.latencyMs,
      },
      'delivery attempt',
    );
    this.#observer?.attempted(observation);
    if (result.outcome === 'lease_lost') {
      this.#logger.warn(
        { webhook_id: webhook.id, event_id: event.id, job_id: job.id },
        'lease lost during the attempt: its outcome is not recorded',
      );
    } else if (result.outcome === 'recorded' && result.webhookBroke) {
      this.#logger.warn(
        { webhook_id: webhook.id, status: outcome.responseStatus },
        'webhook marked broken; its pending deliveries stop',
      );
    }
  }
}
