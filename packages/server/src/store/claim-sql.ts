// The SQL of a claim, one text for both dialects: the candidates, what is in flight, and what each
// rate-limited endpoint started this second. Choosing among them is the domain's (claim-policy.ts);
// the delivery queue runs these in one transaction.
import type { ClaimCandidate, EndpointState } from '../domain/claim-policy.ts';
import type { Row } from './sql.ts';

/** Per webhook `w`: its earliest due jobs ($1 now, $2 how many). */
const DUE_OF_WEBHOOK = `
  SELECT d.id, d.next_attempt_at FROM delivery_jobs d
  WHERE d.state = 'pending' AND d.webhook_id = w.id AND d.next_attempt_at <= $1 AND (w.status = 'active' OR d.trigger = 'redelivery')
  ORDER BY d.next_attempt_at, d.id LIMIT $2`;

/**
 * $1 now, $2 jobs per webhook (also the per-webhook cap), $3 expired leases at most, $4 the
 * per-account cap. Every webhook with pending jobs is found by a skip scan of the (state,
 * webhook_id, next_attempt_at) index, and each contributes its own earliest due jobs: however many
 * jobs one account has queued, every other account's are candidates too. Webhooks and accounts
 * already at their in-flight cap are passed over before their jobs are looked at, so a capped
 * account costs a claim next to nothing. A claim costs an index probe per webhook with pending jobs,
 * not a scan of the backlog. Jobs whose lease expired (their worker died) are candidates again.
 *
 * The same statement also returns, as rows without a job, what is in flight per webhook (every
 * worker's): the claim policy needs both, and one statement is one round trip.
 *
 * What differs by dialect is how each webhook's jobs are joined in: PostgreSQL needs LATERAL to
 * probe per webhook (it would scan every job for an IN with a correlated LIMIT); SQLite has no
 * LATERAL, and probes the IN by rowid.
 */
export function candidatesSql(dialect: 'sqlite' | 'postgres'): string {
  const perWebhook =
    dialect === 'postgres'
      ? `CROSS JOIN LATERAL (${DUE_OF_WEBHOOK}) j`
      : `JOIN delivery_jobs j ON j.id IN (SELECT due.id FROM (${DUE_OF_WEBHOOK}) due)`;
  const sql = `
    WITH RECURSIVE pending(webhook_id) AS (
      SELECT MIN(webhook_id) FROM delivery_jobs WHERE state = 'pending'
      UNION ALL
      SELECT (SELECT MIN(j.webhook_id) FROM delivery_jobs j WHERE j.state = 'pending' AND j.webhook_id > p.webhook_id)
      FROM pending p WHERE p.webhook_id IS NOT NULL
    ),
    busy AS (
      SELECT j.webhook_id, w.account_id, w.consecutive_failures, w.rate_limit, COUNT(*) AS n
      FROM delivery_jobs j JOIN webhooks w ON w.id = j.webhook_id
      WHERE j.state = 'in_flight' AND j.lease_until >= $1
      GROUP BY j.webhook_id, w.account_id, w.consecutive_failures, w.rate_limit
    ),
    open_webhooks AS (
      SELECT w.* FROM pending p JOIN webhooks w ON w.id = p.webhook_id
      WHERE w.id NOT IN (SELECT webhook_id FROM busy WHERE n >= $2)
        AND w.account_id NOT IN (SELECT account_id FROM busy GROUP BY account_id HAVING SUM(n) >= $4)
    )
    SELECT j.id AS job_id, w.id AS webhook_id, w.account_id, j.next_attempt_at AS due_at, w.consecutive_failures,
      w.rate_limit, 0 AS in_flight
    FROM open_webhooks w ${perWebhook}
    UNION ALL
    SELECT * FROM (
      SELECT j.id AS job_id, j.webhook_id, w.account_id, j.next_attempt_at AS due_at, w.consecutive_failures,
        w.rate_limit, 0 AS in_flight
      FROM delivery_jobs j JOIN webhooks w ON w.id = j.webhook_id
      WHERE j.state = 'in_flight' AND j.lease_until < $1
      ORDER BY j.lease_until LIMIT $3) expired
    UNION ALL
    SELECT NULL, webhook_id, account_id, NULL, consecutive_failures, rate_limit, n FROM busy`;
  return sql;
}

/** $1 the current second: attempts started this second, per rate-limited webhook. Older seconds are forgotten. */
export const FORGET_STARTS_SQL = 'DELETE FROM webhook_starts WHERE second < $1';
export const STARTS_SQL = 'SELECT webhook_id, started FROM webhook_starts WHERE second = $1';
/** $1 webhook, $2 second, $3 how many more started. */
export const COUNT_STARTS_SQL = `
  INSERT INTO webhook_starts (webhook_id, second, started) VALUES ($1, $2, $3)
  ON CONFLICT (webhook_id, second) DO UPDATE SET started = webhook_starts.started + excluded.started`;

export const secondOf = (now: number) => Math.floor(now / 1000);

/** The candidates statement's rows: jobs that may be claimed, and per webhook what is in flight. */
export const splitClaimRows = (rows: readonly Row[]) => ({
  candidateRows: rows.filter((row) => row.job_id !== null),
  inFlightRows: rows.filter((row) => row.job_id === null),
});

/** Whether any endpoint a claim looks at has a rate limit (only then are starts counted). */
export const hasRateLimit = (rows: readonly Row[]) =>
  rows.some((row) => row.rate_limit !== null && row.rate_limit !== undefined);

export const candidateFromRow = (row: Row): ClaimCandidate => ({
  jobId: Number(row.job_id),
  webhookId: row.webhook_id as string,
  accountId: row.account_id as string,
  dueAt: Number(row.due_at),
});

/** Every endpoint a claim must know about: those with candidates and those with jobs in flight. */
export function endpointStates(
  candidateRows: readonly Row[],
  inFlightRows: readonly Row[],
  startRows: readonly Row[],
): EndpointState[] {
  const started = new Map(startRows.map((row) => [row.webhook_id as string, Number(row.started)]));
  const endpoints = new Map<string, EndpointState>();
  const add = (row: Row, inFlight: number) => {
    const webhookId = row.webhook_id as string;
    if (endpoints.has(webhookId) && inFlight === 0) return;
    endpoints.set(webhookId, {
      webhookId,
      accountId: row.account_id as string,
      inFlight,
      consecutiveFailures: Number(row.consecutive_failures),
      rateLimit: row.rate_limit === null || row.rate_limit === undefined ? null : Number(row.rate_limit),
      startedThisSecond: started.get(webhookId) ?? 0,
    });
  };
  for (const row of inFlightRows) add(row, Number(row.in_flight));
  for (const row of candidateRows) add(row, 0);
  return [...endpoints.values()];
}

/** The rate-limited webhooks among the chosen jobs, with how many each starts now. */
export function startsToCount(
  chosen: readonly number[],
  candidates: readonly ClaimCandidate[],
  endpoints: readonly EndpointState[],
): [string, number][] {
  const limited = new Set(
    endpoints.filter((endpoint) => endpoint.rateLimit !== null).map((endpoint) => endpoint.webhookId),
  );
  const webhookOf = new Map(candidates.map((candidate) => [candidate.jobId, candidate.webhookId]));
  const counts = new Map<string, number>();
  for (const jobId of chosen) {
    const webhookId = webhookOf.get(jobId)!;
    if (limited.has(webhookId)) counts.set(webhookId, (counts.get(webhookId) ?? 0) + 1);
  }
  return [...counts];
}
