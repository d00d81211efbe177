// Weights per key per rolling minute. The budget lives in the store, so every process sharing a
// PostgreSQL database or a SQLite file shares it. Spending is one step with the replay check: every
// signed request writes once.
import type { Clock } from './clock.ts';
import { ApiError } from './errors.ts';
import type { AdmissionOutcome, AdmissionRepository, AdmissionRequest } from './ports.ts';
import type { Principal } from './principal.ts';

export interface WeightUsage {
  used: number;
  limit: number;
}

export class RateLimitedError extends ApiError {
  readonly usage: WeightUsage;
  /** Whose request it was (set by the authenticator, which knows). */
  principal: Principal | undefined;
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

interface PendingAdmission {
  request: AdmissionRequest;
  settle: (outcome: Promise<AdmissionOutcome>) => void;
}

export class RateLimiter {
  readonly #admission: AdmissionRepository;
  readonly #clock: Clock;
  readonly #budget: { windowMs: number; budget: number };
  /** Admissions asked for during this turn of the event loop: written together, in one transaction. */
  #pending: PendingAdmission[] = [];

  constructor(deps: { admission: AdmissionRepository; clock: Clock; budgetPerMinute: number }) {
    this.#admission = deps.admission;
    this.#clock = deps.clock;
    this.#budget = { windowMs: 60_000, budget: deps.budgetPerMinute };
  }

  /**
   * Records an authentic request's signature and spends its weight, in one step: 'replayed' (nothing
   * spent) when the signature was seen before; throws RateLimitedError (nothing spent) when the
   * weight does not fit.
   */
  async admit(
    keyId: string,
    weight: number,
    signature: { value: string; signedAt: number; replayWindowMs: number },
  ): Promise<WeightUsage | 'replayed'> {
    const request = {
      signature: signature.value,
      signedAt: signature.signedAt,
      replayWindowMs: signature.replayWindowMs,
      subject: keyId,
      weight,
      budget: this.#budget,
    };
    const outcome = await new Promise<AdmissionOutcome>((resolve) => {
      this.#pending.push({ request, settle: resolve });
      if (this.#pending.length === 1) setImmediate(() => this.#writePending());
    });
    if (outcome.replayed) return 'replayed';
    const usage = { used: outcome.charge.used, limit: this.#budget.budget };
    if (!outcome.charge.admitted) throw new RateLimitedError(usage, Math.ceil(outcome.charge.retryAfterMs / 1000));
    return usage;
  }

  /**
   * Every signed request writes once; the requests that arrive together share that write (a group
   * commit), each still judged in its turn. A failed write fails each of them alike.
   */
  #writePending(): void {
    const batch = this.#pending;
    this.#pending = [];
    const written = this.#admission.admit(
      batch.map((pending) => pending.request),
      this.#clock.now(),
    );
    batch.forEach((pending, index) => {
      pending.settle(written.then((outcomes) => outcomes[index]!));
    });
  }
}
