// Time comes from here, so tests can move it (windows, expiries, retries) without waiting.
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** ISO 8601 UTC with second precision, as every timestamp of the API: 2026-04-29T12:00:00Z. */
export function formatTimestamp(epochMs: number): string {
  return `${new Date(epochMs).toISOString().slice(0, 19)}Z`;
}
