// The rules of a delivery attempt's outcome, written once for both stores: what it does to the
// webhook's health (consecutive failures, broken after a window of continuous failure or at once on
// 410 Gone) and to its job (done, retried later, dead after its last retry, cancelled once broken).
// The stores only persist what these decide.
import type { WebhookStatus } from '../store/store.ts';

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
