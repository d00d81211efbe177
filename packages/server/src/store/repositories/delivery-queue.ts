// The delivery queue: jobs are claimed under a fenced lease (a version only the holder knows),
// renewed while their attempt runs, and completed in batches. Which jobs to claim is the claim
// policy's decision and what an outcome changes is the delivery rules'; this file only reads what
// they need and writes what they decide.
import { chooseFairly } from '../../domain/claim-policy.ts';
import {
  type SettledHealth,
  type SettledJob,
  settleOutcomes,
  type WebhookHealth,
} from '../../domain/delivery-rules.ts';
import type { ClaimOptions, DeliveryQueue, QueueStats, RecoveredEvents, Recovery } from '../../domain/ports.ts';
import type { DeliveryJob, HeldLease, JobOutcome, JobOutcomeResult, WebhookStatus } from '../../domain/records.ts';
import {
  COUNT_STARTS_SQL,
  candidateFromRow,
  candidatesSql,
  endpointStates,
  FORGET_STARTS_SQL,
  hasRateLimit,
  STARTS_SQL,
  secondOf,
  splitClaimRows,
  startsToCount,
} from '../claim-sql.ts';
import { CLAIMED_COLUMNS, jobFromRow } from '../rows.ts';
import { type BatchColumns, batchOf, type SqlExecutor, SqlRepository } from '../sql.ts';
import { insertAttempts } from './attempt-log.ts';

/** Stores one pending job per webhook for the event (inside the caller's transaction). */
export async function insertJobs(
  tx: SqlExecutor,
  eventId: string,
  webhookIds: readonly string[],
  trigger: DeliveryJob['trigger'],
  now: number,
): Promise<void> {
  if (webhookIds.length === 0) return;
  await tx.run(
    `INSERT INTO delivery_jobs (event_id, webhook_id, state, trigger, attempts, next_attempt_at, created_at)
     SELECT $1, target.webhook_id, 'pending', $2, 0, $3, $3
     FROM ${tx.dialect.table('$4', 'target', [['webhook_id', 'text']])}`,
    [eventId, trigger, now, JSON.stringify(webhookIds.map((webhookId) => ({ webhook_id: webhookId })))],
  );
}

const HELD_LEASE: BatchColumns<HeldLease> = {
  job_id: ['bigint', (outcome) => outcome.jobId],
  lease: ['int', (outcome) => outcome.lease],
};
const JOB_SETTLEMENT: BatchColumns<SettledJob> = {
  job_id: ['bigint', (job) => job.jobId],
  lease: ['int', (job) => job.lease],
  state: ['text', (job) => job.state],
  next_attempt_at: ['bigint', (job) => job.nextAttemptAt],
};
const WEBHOOK_HEALTH: BatchColumns<[string, SettledHealth]> = {
  webhook_id: ['text', ([id]) => id],
  status: ['text', ([, health]) => health.status],
  consecutive_failures: ['int', ([, health]) => health.consecutiveFailures],
  failing_since: ['bigint', ([, health]) => health.failingSince],
  last_delivery_at: ['bigint', ([, health]) => health.lastDeliveryAt],
  last_success_at: ['bigint', ([, health]) => health.lastSuccessAt],
};

/** One claim at a time across workers, so the in-flight caps it counts hold exactly. */
const lockClaims = (tx: SqlExecutor) => tx.dialect.lock(tx, 'delivery-claims');

export class SqlDeliveryQueue extends SqlRepository implements DeliveryQueue {
  readonly #candidates = candidatesSql(this.db.dialect.name);

  async claim(now: number, options: ClaimOptions): Promise<DeliveryJob[]> {
    return this.db.transaction(async (tx) => {
      await lockClaims(tx);
      return this.#claimIn(tx, now, options);
    });
  }

  async completeAndClaim(
    outcomes: readonly JobOutcome[],
    now: number,
    options: ClaimOptions,
  ): Promise<{ results: JobOutcomeResult[]; claimed: DeliveryJob[] }> {
    return this.db.transaction(async (tx) => {
      // The claim lock first, then rows: the order a claim takes them in too.
      await lockClaims(tx);
      const results = await this.#completeIn(tx, outcomes);
      return { results, claimed: await this.#claimIn(tx, now, options) };
    });
  }

  async complete(outcomes: readonly JobOutcome[]): Promise<JobOutcomeResult[]> {
    if (outcomes.length === 0) return [];
    return this.db.transaction((tx) => this.#completeIn(tx, outcomes));
  }

  async #claimIn(tx: SqlExecutor, now: number, options: ClaimOptions): Promise<DeliveryJob[]> {
    const second = secondOf(now);
    const claimRows = await tx.all(this.#candidates, [
      now,
      options.perWebhook,
      Math.max(256, options.limit * 8),
      options.perAccount,
    ]);
    const { candidateRows, inFlightRows } = splitClaimRows(claimRows);
    // Start counts matter only to rate-limited endpoints: most claims have none and skip both trips.
    const rateLimited = hasRateLimit(claimRows);
    if (rateLimited) await tx.run(FORGET_STARTS_SQL, [second]);
    const startRows = rateLimited ? await tx.all(STARTS_SQL, [second]) : [];
    const candidates = candidateRows.map(candidateFromRow);
    const endpoints = endpointStates(candidateRows, inFlightRows, startRows);
    const chosen = chooseFairly(candidates, endpoints, options);
    if (chosen.length === 0) return [];
    for (const [webhookId, started] of startsToCount(chosen, candidates, endpoints)) {
      await tx.run(COUNT_STARTS_SQL, [webhookId, second, started]);
    }
    // Still claimable as the candidates found it: a completion that does not take the claim lock may
    // have finished (or cancelled) a job in between, and a finished job is never leased again.
    const lease = `UPDATE delivery_jobs SET state = 'in_flight', lease_until = $1, lease_version = lease_version + 1
      WHERE ${tx.dialect.isIn('id', '$2', 'bigint')}
        AND (state = 'pending' OR (state = 'in_flight' AND lease_until < $3))`;
    const claimed = (jobs: string) =>
      `SELECT ${CLAIMED_COLUMNS} FROM ${jobs} j JOIN events e ON e.id = j.event_id JOIN webhooks w ON w.id = j.webhook_id`;
    const until = now + options.leaseMs;
    // Where SQL allows it, the lease and the read of what it leased are one round trip.
    const rows = tx.dialect.modifyingCte
      ? await tx.all(`WITH leased AS (${lease} RETURNING *) ${claimed('leased')}`, [until, chosen, now])
      : await tx
          .all(`${lease} RETURNING id`, [until, chosen, now])
          .then((leased) =>
            tx.all(`${claimed('delivery_jobs')} WHERE ${tx.dialect.isIn('j.id', '$1', 'bigint')}`, [
              leased.map((row) => Number(row.id)),
            ]),
          );
    const order = new Map(chosen.map((id, index) => [id, index]));
    return rows.map(jobFromRow).sort((a, b) => order.get(a.id)! - order.get(b.id)!);
  }

  /** One statement per step for the whole batch, so a batch costs about as many round trips as one outcome. */
  async #completeIn(tx: SqlExecutor, outcomes: readonly JobOutcome[]): Promise<JobOutcomeResult[]> {
    if (outcomes.length === 0) return [];
    const { dialect } = tx;
    const webhookIds = [...new Set(outcomes.map((outcome) => outcome.attempt.webhookId))];
    // Webhooks first, in id order, then jobs: the order every transaction touching both takes.
    // NO KEY UPDATE: it must not wait on (or deadlock with) the KEY SHARE locks that inserting
    // delivery jobs takes through their foreign key.
    const webhookRows = await tx.all(
      `SELECT id, status, consecutive_failures, failing_since FROM webhooks
       WHERE ${dialect.isIn('id', '$1', 'text')} ORDER BY id${dialect.lockRows('no key update')}`,
      [webhookIds],
    );
    const held = batchOf(dialect, '$1', 'held', HELD_LEASE, outcomes);
    const heldRows = await tx.all(
      `SELECT j.id FROM delivery_jobs j JOIN ${held.table} ON j.id = held.job_id AND j.lease_version = held.lease
       ORDER BY j.id${dialect.lockRows('update', 'j')}`,
      [held.value],
    );
    const health = new Map<string, WebhookHealth>(
      webhookRows.map((row) => [
        row.id as string,
        {
          status: row.status as WebhookStatus,
          consecutiveFailures: Number(row.consecutive_failures),
          failingSince: row.failing_since === null ? null : Number(row.failing_since),
        },
      ]),
    );
    const batch = settleOutcomes(outcomes, health, new Set(heldRows.map((row) => Number(row.id))));

    const toLog = batch.verdicts.flatMap((verdict) => (typeof verdict === 'string' ? [] : [verdict.attempt]));
    const logged = new Map((await insertAttempts(tx, toLog)).map((attempt) => [attempt.id, attempt]));
    if (batch.webhooks.size > 0) {
      const health = batchOf(dialect, '$1', 'u', WEBHOOK_HEALTH, [...batch.webhooks]);
      await tx.run(
        `UPDATE webhooks AS w SET status = u.status, consecutive_failures = u.consecutive_failures,
           failing_since = u.failing_since, last_delivery_at = u.last_delivery_at,
           last_success_at = COALESCE(u.last_success_at, w.last_success_at)
         FROM ${health.table} WHERE w.id = u.webhook_id`,
        [health.value],
      );
    }
    if (batch.jobs.length > 0) {
      const jobs = batchOf(dialect, '$1', 'u', JOB_SETTLEMENT, batch.jobs);
      await tx.run(
        `UPDATE delivery_jobs AS j SET state = u.state, attempts = j.attempts + 1,
           next_attempt_at = COALESCE(u.next_attempt_at, j.next_attempt_at), lease_until = NULL
         FROM ${jobs.table} WHERE j.id = u.job_id AND j.lease_version = u.lease`,
        [jobs.value],
      );
    }
    // A broken webhook's pending deliveries stop.
    if (batch.broken.size > 0) {
      await tx.run(
        `UPDATE delivery_jobs SET state = 'cancelled'
         WHERE ${dialect.isIn('webhook_id', '$1', 'text')} AND state IN ('pending', 'in_flight')`,
        [[...batch.broken]],
      );
    }
    return batch.verdicts.map(
      (verdict): JobOutcomeResult =>
        typeof verdict === 'string'
          ? { outcome: verdict }
          : { outcome: 'recorded', attempt: logged.get(verdict.attempt.id)!, webhookBroke: verdict.broke },
    );
  }

  async renew(leases: readonly HeldLease[], until: number): Promise<number[]> {
    if (leases.length === 0) return [];
    const held = batchOf(this.db.dialect, '$2', 'held', HELD_LEASE, leases);
    const rows = await this.db.all(
      `UPDATE delivery_jobs AS j SET lease_until = $1 FROM ${held.table}
       WHERE j.id = held.job_id AND j.lease_version = held.lease AND j.state = 'in_flight' RETURNING id`,
      [until, held.value],
    );
    return rows.map((row) => Number(row.id));
  }

  async enqueueRedelivery(webhookId: string, eventId: string, now: number): Promise<boolean> {
    // From the event row, locked against a retention pass deleting it meanwhile: none once it is gone.
    const queued = await this.db.run(
      `INSERT INTO delivery_jobs (event_id, webhook_id, state, trigger, attempts, next_attempt_at, created_at)
       SELECT e.id, $2, 'pending', 'redelivery', 0, $3, $3 FROM events e WHERE e.id = $1${this.db.dialect.lockRows('key share')}`,
      [eventId, webhookId, now],
    );
    return queued > 0;
  }

  async recoverMissed(recovery: Recovery, now: number): Promise<RecoveredEvents> {
    return this.db.transaction(async (tx) => {
      // Two recoveries of one webhook at once would each see the other's events as not yet queued.
      await tx.dialect.lock(tx, `recover:${recovery.webhookId}`);
      const missed = await tx.all(
        `SELECT e.id, e.created_at FROM events e
         WHERE e.account_id = $1 AND e.created_at >= $2 AND e.created_at < $3 AND NOT e.test
           AND ${tx.dialect.isIn('e.type', '$4', 'text')}
           AND NOT EXISTS (SELECT 1 FROM delivery_attempts a
                           WHERE a.webhook_id = $5 AND a.event_id = e.id AND a.status = 'succeeded')
           AND NOT EXISTS (SELECT 1 FROM delivery_jobs j
                           WHERE j.webhook_id = $5 AND j.event_id = e.id AND j.state IN ('pending', 'in_flight'))
           AND (NOT ${tx.dialect.isIn('e.type', '$7', 'text')}
                OR EXISTS (SELECT 1 FROM delivery_jobs j WHERE j.webhook_id = $5 AND j.event_id = e.id))
         ORDER BY e.created_at, e.id LIMIT $6${tx.dialect.lockRows('key share', 'e')}`,
        [
          recovery.accountId,
          recovery.from,
          recovery.until,
          recovery.types,
          recovery.webhookId,
          recovery.limit + 1,
          recovery.addressedTypes,
        ],
      );
      const queued = missed.slice(0, recovery.limit).map((row) => row.id as string);
      if (queued.length > 0) {
        await tx.run(
          `INSERT INTO delivery_jobs (event_id, webhook_id, state, trigger, attempts, next_attempt_at, created_at)
           SELECT missed.event_id, $1, 'pending', 'redelivery', 0, $2, $2
           FROM ${tx.dialect.table('$3', 'missed', [['event_id', 'text']])}`,
          [recovery.webhookId, now, JSON.stringify(queued.map((eventId) => ({ event_id: eventId })))],
        );
      }
      const next = missed[recovery.limit];
      return { eventIds: queued, nextFrom: next ? Number(next.created_at) : null };
    });
  }

  async webhooksWaitingFor(eventId: string): Promise<string[]> {
    const rows = await this.db.all(
      "SELECT DISTINCT webhook_id FROM delivery_jobs WHERE event_id = $1 AND state IN ('pending', 'in_flight')",
      [eventId],
    );
    return rows.map((row) => row.webhook_id as string);
  }

  async countUnfinished(): Promise<number> {
    const row = await this.db.get("SELECT COUNT(*) AS n FROM delivery_jobs WHERE state IN ('pending', 'in_flight')");
    return Number(row!.n);
  }

  async stats(now: number): Promise<QueueStats> {
    const due = await this.db.get(
      `SELECT COUNT(*) AS n, MIN(j.next_attempt_at) AS oldest FROM delivery_jobs j JOIN webhooks w ON w.id = j.webhook_id
       WHERE j.state = 'pending' AND j.next_attempt_at <= $1 AND (w.status = 'active' OR j.trigger = 'redelivery')`,
      [now],
    );
    const running = await this.db.all(
      `SELECT w.account_id, COUNT(*) AS n FROM delivery_jobs j JOIN webhooks w ON w.id = j.webhook_id
       WHERE j.state = 'in_flight' AND j.lease_until >= $1 GROUP BY w.account_id`,
      [now],
    );
    return {
      due: Number(due!.n),
      oldestDueAt: due!.oldest === null ? null : Number(due!.oldest),
      inFlightByAccount: Object.fromEntries(running.map((row) => [row.account_id as string, Number(row.n)])),
    };
  }
}
