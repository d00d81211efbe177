// Weights per key per rolling minute. The budget lives in the store, so every process sharing a
// PostgreSQL database shares it.
import type { Clock } from './clock.ts';
import { ApiError } from './errors.ts';
import type { AdmissionRepository } from './ports.ts';

export interface WeightUsage {
  used: number;
  limit: number;
}

export class RateLimitedError extends ApiError {
  readonly usage: WeightUsage;
  constructor(usage: WeightUsage, retryAfterSeconds: number) {
    super(
      'RATE_LIMITED',
      `This API key spent its ${usage.limit} weight for the rolling minute; retry in ${retryAfterSeconds} s.`,
      {
        retryAfterSeconds,
      },
    );
    this.usage = usage;
  }
}

export class RateLimiter {
  readonly #admission: AdmissionRepository;
  readonly #clock: Clock;
  readonly #budget: { windowMs: number; budget: number };

  constructor(deps: { admission: AdmissionRepository; clock: Clock; budgetPerMinute: number }) {
    this.#admission = deps.admission;
    this.#clock = deps.clock;
    this.#budget = { windowMs: 60_000, budget: deps.budgetPerMinute };
  }

  /** Spends the weight or throws RateLimitedError (which costs nothing). */
  async charge(keyId: string, weight: number): Promise<WeightUsage> {
    const charge = await this.#admission.spendWeight(keyId, weight, this.#clock.now(), this.#budget);
    const usage = { used: charge.used, limit: this.#budget.budget };
    if (!charge.admitted) throw new RateLimitedError(usage, Math.ceil(charge.retryAfterMs / 1000));
    return usage;
  }
}
