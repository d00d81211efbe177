// Request admission: seen signatures (replay protection) and rolling weight budgets.
import type {
  AdmissionOutcome,
  AdmissionRepository,
  AdmissionRequest,
  WeightBudget,
  WeightCharge,
} from '../../domain/ports.ts';
import { type SqlExecutor, SqlRepository } from '../sql.ts';
import { BUCKET_MS, bucketOf, lastExpiredBucket, retryAfterMs } from '../weight-window.ts';

/** How often expired signatures and weight buckets are deleted; until then every read skips them. */
const PRUNE_EVERY_MS = 1000;

export class SqlAdmission extends SqlRepository implements AdmissionRepository {
  #lastPrune = 0;

  async admit(requests: readonly AdmissionRequest[], now: number): Promise<AdmissionOutcome[]> {
    if (requests.length === 0) return [];
    await this.#pruneNowAndThen(now, requests[0]!.budget.windowMs, requests[0]!.replayWindowMs);
    // Locks are taken in subject order (each subject's requests keeping theirs), so two processes'
    // batches never wait on each other in a cycle.
    const order = requests
      .map((request, index) => ({ request, index }))
      .sort((a, b) => (a.request.subject < b.request.subject ? -1 : a.request.subject > b.request.subject ? 1 : 0));
    return this.db.transaction(async (tx) => {
      const outcomes: AdmissionOutcome[] = new Array(requests.length);
      for (const { request, index } of order) outcomes[index] = await admitOne(tx, request, now);
      return outcomes;
    });
  }

  async spendWeight(subject: string, weight: number, now: number, budget: WeightBudget): Promise<WeightCharge> {
    return this.db.transaction((tx) => spend(tx, subject, weight, now, budget));
  }

  /**
   * Expired rows only take space (reads skip them): deleted once a second by each process, which
   * admits requests (the failure throttle's charges expire with the same one-minute window).
   */
  async #pruneNowAndThen(now: number, weightWindowMs: number, replayWindowMs: number): Promise<void> {
    if (now - this.#lastPrune < PRUNE_EVERY_MS) return;
    this.#lastPrune = now;
    // A request this old is refused by its timestamp before it is looked up here.
    await this.db.run('DELETE FROM seen_signatures WHERE signed_at < $1', [now - replayWindowMs]);
    await this.db.run('DELETE FROM weight_buckets WHERE bucket <= $1', [lastExpiredBucket(now, weightWindowMs)]);
  }
}

async function admitOne(tx: SqlExecutor, request: AdmissionRequest, now: number): Promise<AdmissionOutcome> {
  // The key leads with signed_at (see migration 8): a replay has the same one.
  const recorded = await tx.run(
    'INSERT INTO seen_signatures (signed_at, signature) VALUES ($1, $2) ON CONFLICT DO NOTHING',
    [request.signedAt, request.signature],
  );
  if (recorded === 0) return { replayed: true };
  return { replayed: false, charge: await spend(tx, request.subject, request.weight, now, request.budget) };
}

/** Spends `weight` from the subject's window inside `tx`, or says when it would fit. */
async function spend(
  tx: SqlExecutor,
  subject: string,
  weight: number,
  now: number,
  budget: WeightBudget,
): Promise<WeightCharge> {
  // One subject's charges are serialized across every process sharing the database.
  await tx.dialect.lock(tx, `weight:${subject}`);
  const expired = lastExpiredBucket(now, budget.windowMs);
  const window = await tx.get(
    'SELECT COALESCE(SUM(weight), 0) AS used FROM weight_buckets WHERE key_id = $1 AND bucket > $2',
    [subject, expired],
  );
  const used = Number(window?.used ?? 0);
  if (used + weight > budget.budget) {
    // Refused (the rare path): the window's charges, oldest first, say when enough leaves it.
    const rows = await tx.all(
      'SELECT bucket, weight FROM weight_buckets WHERE key_id = $1 AND bucket > $2 ORDER BY bucket',
      [subject, expired],
    );
    const charges = rows.map((row) => ({ at: Number(row.bucket) * BUCKET_MS, weight: Number(row.weight) }));
    return { admitted: false, used, retryAfterMs: retryAfterMs(charges, weight, now, budget) };
  }
  await tx.run(
    `INSERT INTO weight_buckets (key_id, bucket, weight) VALUES ($1, $2, $3)
     ON CONFLICT (key_id, bucket) DO UPDATE SET weight = weight_buckets.weight + excluded.weight`,
    [subject, bucketOf(now), weight],
  );
  return { admitted: true, used: used + weight, retryAfterMs: 0 };
}
