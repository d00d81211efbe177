// Time comes from here, so tests can move it (windows, expiries, retries) without waiting.
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** Formatted timestamps, kept: a listing formats the same few hundred of them on every request. */
const formatted = new Map<number, string>();
const FORMATTED_KEPT = 10_000;

/** ISO 8601 UTC with second precision, as every timestamp of the API: 2026-04-29T12:00:00Z. */
export function formatTimestamp(epochMs: number): string {
  let text = formatted.get(epochMs);
  if (text === undefined) {
    text = `${new Date(epochMs).toISOString().slice(0, 19)}Z`;
    if (formatted.size >= FORMATTED_KEPT) formatted.clear();
    formatted.set(epochMs, text);
  }
  return text;
}
