// The rolling-window arithmetic both adapters share. Charges are counted in one-second buckets: a
// bucket stays in the window until a full window has passed since the second it started, so the
// rolling minute is exact to the second.
export const BUCKET_MS = 1000;

export const bucketOf = (at: number) => Math.floor(at / BUCKET_MS);

/** Buckets at or before this one have left the window at `now`. */
export const lastExpiredBucket = (now: number, windowMs: number) => Math.floor((now - windowMs) / BUCKET_MS);

/** Given the charges still in the window (oldest first), how long until `weight` more fits. */
export function retryAfterMs(
  charges: readonly { at: number; weight: number }[],
  weight: number,
  now: number,
  { windowMs, budget }: { windowMs: number; budget: number },
): number {
  let used = charges.reduce((sum, charge) => sum + charge.weight, 0);
  for (const charge of charges) {
    used -= charge.weight;
    if (used + weight <= budget) return Math.max(1, charge.at + windowMs - now);
  }
  // Heavier than the whole budget: it never fits; the window's length is the honest answer.
  return windowMs;
}
