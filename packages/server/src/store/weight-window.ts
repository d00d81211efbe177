// The rolling-window arithmetic both adapters share: given the charges still in the window (oldest
// first), how long until `weight` more fits in the budget.
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
