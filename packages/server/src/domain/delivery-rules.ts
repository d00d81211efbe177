// The rules of a delivery attempt's outcome, written once for both stores: what it does to the
// webhook's health (consecutive failures, broken after a window of continuous failure or at once on
// 410 Gone) and to its job (done, retried later, dead after its last retry, cancelled once broken).
// The stores only persist what these decide.
import type { JobOutcome, NewDeliveryAttempt, WebhookStatus } from './records.ts';

export interface WebhookHealth {
  status: WebhookStatus;
  consecutiveFailures: number;
  /** When the current run of failed attempts began; null after a success. */
  failingSince: number | null;
}

export interface AttemptOutcome {
  succeeded: boolean;
  /** The endpoint answered 410 Gone. */
  gone: boolean;
  now: number;
  /** A webhook failing continuously this long breaks. */
  brokenAfterMs: number;
  /** After a failure, when the schedule would try again; null when the job has no retries left. */
  retryAt: number | null;
}

export type JobState = 'done' | 'pending' | 'dead' | 'cancelled';

export interface Settlement {
  health: WebhookHealth & { lastSuccessAt: number | null; broke: boolean };
  /** When the job is tried again; null when it is finished. */
  nextAttemptAt: number | null;
  jobState: JobState;
}

/** The webhook's health after one delivery attempt. */
export function healthAfterAttempt(
  current: WebhookHealth,
  outcome: Pick<AttemptOutcome, 'succeeded' | 'gone' | 'now' | 'brokenAfterMs'>,
): Settlement['health'] {
  if (outcome.succeeded) {
    return {
      status: current.status,
      consecutiveFailures: 0,
      failingSince: null,
      lastSuccessAt: outcome.now,
      broke: false,
    };
  }
  const failingSince = current.failingSince ?? outcome.now;
  const breaks = current.status === 'active' && (outcome.gone || outcome.now - failingSince >= outcome.brokenAfterMs);
  return {
    status: breaks ? 'broken' : current.status,
    consecutiveFailures: current.consecutiveFailures + 1,
    failingSince,
    lastSuccessAt: null,
    broke: breaks,
  };
}

/** Everything one attempt's outcome changes. A broken webhook (now, or already) gets no more retries. */
export function settleAttempt(current: WebhookHealth, outcome: AttemptOutcome): Settlement {
  const health = healthAfterAttempt(current, outcome);
  const nextAttemptAt = outcome.succeeded || health.status === 'broken' ? null : outcome.retryAt;
  const jobState: JobState = outcome.succeeded
    ? 'done'
    : health.status === 'broken'
      ? 'cancelled'
      : nextAttemptAt === null
        ? 'dead'
        : 'pending';
  return { health, nextAttemptAt, jobState };
}

/** What a batch of outcomes changes, for the queue to write in one transaction. */
/** A webhook's health after the last of its outcomes in a batch. */
export type SettledHealth = WebhookHealth & { lastDeliveryAt: number; lastSuccessAt: number | null };

/** What becomes of one job. */
export interface SettledJob {
  jobId: number;
  lease: number;
  state: JobState;
  nextAttemptAt: number | null;
}

export interface BatchSettlement {
  /** Per outcome, in the order given: the attempt to log, or why nothing is recorded. */
  verdicts: ({ attempt: NewDeliveryAttempt; broke: boolean } | 'lease_lost' | 'webhook_deleted')[];
  jobs: SettledJob[];
  /** Each touched webhook's health after its last outcome of the batch. */
  webhooks: Map<string, SettledHealth>;
  /** Webhooks this batch broke: their pending jobs are cancelled. */
  broken: Set<string>;
}

/**
 * Settles a batch of outcomes as one transaction per outcome would, in order: each webhook's health
 * is carried from one of its outcomes to the next. `health` is every webhook's state before the
 * batch (a deleted webhook is absent); `held`, the jobs whose lease is still the one reported.
 */
export function settleOutcomes(
  outcomes: readonly JobOutcome[],
  health: ReadonlyMap<string, WebhookHealth>,
  held: ReadonlySet<number>,
): BatchSettlement {
  const batch: BatchSettlement = { verdicts: [], jobs: [], webhooks: new Map(), broken: new Set() };
  for (const outcome of outcomes) {
    const { attempt } = outcome;
    const current = batch.webhooks.get(attempt.webhookId) ?? health.get(attempt.webhookId);
    if (!current) {
      batch.verdicts.push('webhook_deleted');
      continue;
    }
    if (!held.has(outcome.jobId)) {
      batch.verdicts.push('lease_lost');
      continue;
    }
    const settlement = settleAttempt(current, {
      succeeded: attempt.status === 'succeeded',
      gone: outcome.gone,
      now: attempt.createdAt,
      brokenAfterMs: outcome.brokenAfterMs,
      retryAt: outcome.retryAt,
    });
    const previous = batch.webhooks.get(attempt.webhookId);
    const { status, consecutiveFailures, failingSince, lastSuccessAt, broke } = settlement.health;
    batch.webhooks.set(attempt.webhookId, {
      status,
      consecutiveFailures,
      failingSince,
      lastDeliveryAt: Math.max(previous?.lastDeliveryAt ?? 0, attempt.createdAt),
      lastSuccessAt: lastSuccessAt ?? previous?.lastSuccessAt ?? null,
    });
    if (broke) batch.broken.add(attempt.webhookId);
    batch.verdicts.push({ attempt: { ...attempt, nextAttemptAt: settlement.nextAttemptAt }, broke });
    batch.jobs.push({
      jobId: outcome.jobId,
      lease: outcome.lease,
      state: settlement.jobState,
      nextAttemptAt: settlement.nextAttemptAt,
    });
  }
  return batch;
}
