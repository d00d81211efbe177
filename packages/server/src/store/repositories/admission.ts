// Request admission: seen signatures (replay protection) and rolling weight budgets.
import type { AdmissionRepository, WeightBudget, WeightCharge } from '../../domain/ports.ts';
import { type SqlExecutor, SqlRepository } from '../sql.ts';
import { BUCKET_MS, bucketOf, lastExpiredBucket, retryAfterMs } from '../weight-window.ts';

export class SqlAdmission extends SqlRepository implements AdmissionRepository {
  #lastPrune = 0;

  async rememberSignature(signature: string, expiresAt: number, now: number): Promise<boolean> {
    // Expired entries only take space (the upsert below treats them as absent): pruned once a second.
    if (now - this.#lastPrune >= 1000) {
      this.#lastPrune = now;
      await this.db.run('DELETE FROM seen_signatures WHERE expires_at < $1', [now]);
    }
    const changed = await this.db.run(
      `INSERT INTO seen_signatures (signature, expires_at) VALUES ($1, $2)
       ON CONFLICT (signature) DO UPDATE SET expires_at = excluded.expires_at WHERE seen_signatures.expires_at < $3`,
      [signature, expiresAt, now],
    );
    return changed === 1;
  }

  async spendWeight(subject: string, weight: number, now: number, budget: WeightBudget): Promise<WeightCharge> {
    return this.db.transaction(async (tx) => {
      // One subject's charges are serialized across every process sharing the database.
      await tx.dialect.lock(tx, `weight:${subject}`);
      const expired = lastExpiredBucket(now, budget.windowMs);
      await tx.run('DELETE FROM weight_buckets WHERE key_id = $1 AND bucket <= $2', [subject, expired]);
      const rows = await tx.all('SELECT bucket, weight FROM weight_buckets WHERE key_id = $1 ORDER BY bucket', [
        subject,
      ]);
      const charges = rows.map((row) => ({ at: Number(row.bucket) * BUCKET_MS, weight: Number(row.weight) }));
      const used = charges.reduce((sum, charge) => sum + charge.weight, 0);
      if (used + weight > budget.budget) {
        return { admitted: false, used, retryAfterMs: retryAfterMs(charges, weight, now, budget) };
      }
      await tx.run(
        `INSERT INTO weight_buckets (key_id, bucket, weight) VALUES ($1, $2, $3)
         ON CONFLICT (key_id, bucket) DO UPDATE SET weight = weight_buckets.weight + excluded.weight`,
        [subject, bucketOf(now), weight],
      );
      return { admitted: true, used: used + weight, retryAfterMs: 0 };
    });
  }
}
