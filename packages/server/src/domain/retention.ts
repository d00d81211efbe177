// Retention: events and delivery attempts are kept for the spec's retention period (info.x-retention-days),
// then deleted, in small batches so that no transaction holds the database for long. An event is
// kept while a delivery of it is still waiting (its jobs refer to it); it goes at the next pass after.
import { specLimits } from '@pipai/contract';
import type { Logger } from 'pino';
import type { Clock } from './clock.ts';
import type { PrunedRows, RetentionRepository } from './ports.ts';

const DAY_MS = 86_400_000;
/** How long events and attempts are kept. */
export const RETENTION_MS = specLimits.retentionDays * DAY_MS;
/** Rows deleted per statement: a pass over a large backlog is many short transactions. */
const BATCH = 1_000;
/** How often a worker prunes. */
export const PRUNE_EVERY_MS = 3_600_000;

export interface RetentionDeps {
  store: RetentionRepository;
  clock: Clock;
  logger?: Logger | undefined;
}

export class Retention {
  readonly #deps: RetentionDeps;
  readonly keepMs = RETENTION_MS;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(deps: RetentionDeps) {
    this.#deps = deps;
  }

  /** Deletes what is past retention now; returns how much went. */
  async prune(): Promise<PrunedRows> {
    const before = this.#deps.clock.now() - this.keepMs;
    const total: PrunedRows = { attempts: 0, jobs: 0, events: 0 };
    for (;;) {
      const pruned = await this.#deps.store.pruneBefore(before, BATCH);
      total.attempts += pruned.attempts;
      total.jobs += pruned.jobs;
      total.events += pruned.events;
      if (pruned.attempts < BATCH && pruned.jobs < BATCH && pruned.events < BATCH) return total;
    }
  }

  /** Prunes now and then every hour until stopped; a failed pass is logged and tried at the next. */
  start(): void {
    const pass = () =>
      this.prune().then(
        (pruned) => {
          if (pruned.attempts + pruned.jobs + pruned.events > 0) this.#deps.logger?.info({ pruned }, 'retention pass');
        },
        (error: unknown) => this.#deps.logger?.warn({ err: error }, 'retention pass failed; trying again later'),
      );
    void pass();
    this.#timer = setInterval(pass, PRUNE_EVERY_MS);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
