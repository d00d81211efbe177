// Exact comparison of the API's decimal strings (no floating point: thresholds are money).
const SCALE = 18;

function toScaled(value: string): bigint {
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(value);
  if (!match) throw new Error(`not a decimal: ${value}`);
  const [, sign, whole, fraction = ''] = match;
  const scaled = BigInt(whole! + fraction.padEnd(SCALE, '0').slice(0, SCALE));
  return sign ? -scaled : scaled;
}

/** Negative when a < b, zero when equal, positive when a > b. */
export function compareDecimals(a: string, b: string): number {
  const difference = toScaled(a) - toScaled(b);
  return difference < 0n ? -1 : difference > 0n ? 1 : 0;
}
