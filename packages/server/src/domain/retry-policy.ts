// When a failed delivery is tried again: the Standard Webhooks schedule with ±10 % jitter, a later
// Retry-After honoured up to an hour, ten attempts in all (the first and nine retries).
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** Delay before attempt n+1 after attempt n failed (n = 1 … 9). */
export const RETRY_DELAYS_MS = [
  5 * SECOND,
  5 * MINUTE,
  30 * MINUTE,
  2 * HOUR,
  5 * HOUR,
  10 * HOUR,
  14 * HOUR,
  20 * HOUR,
  24 * HOUR,
];
const MAX_RETRY_AFTER_MS = HOUR;

/**
 * After `attemptsMade` failed attempts at `now`: when to try again, or null when the job gives up.
 * `random` is injectable so that tests can pin the jitter.
 */
export function nextAttemptAt(
  attemptsMade: number,
  now: number,
  retryAfterMs: number | undefined,
  random: () => number = Math.random,
): number | null {
  const delay = RETRY_DELAYS_MS[attemptsMade - 1];
  if (delay === undefined) return null;
  const jittered = Math.round(delay * (0.9 + 0.2 * random()));
  const requested = retryAfterMs === undefined ? 0 : Math.min(retryAfterMs, MAX_RETRY_AFTER_MS);
  return now + Math.max(jittered, requested);
}
