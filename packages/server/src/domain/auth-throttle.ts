// Failed authentication, throttled per client address and per API key id: past a number of failures
// in a rolling minute, further failures are answered 429 instead of 401, and the address is refused
// until its minute has passed. Counts live in the store (the weight window's buckets, under subjects
// of their own), so every process sharing a database shares them.
//
// A correctly signed request is never refused because of failures counted against its key id: only
// failures are throttled per key, so a stranger guessing at a key cannot lock its owner out.
import type { Clock } from './clock.ts';
import { ApiError } from './errors.ts';
import type { AdmissionRepository } from './ports.ts';

const WINDOW_MS = 60_000;
/** The in-process memory of refused addresses stays bounded whatever the traffic. */
const MAX_REMEMBERED = 10_000;

export class AuthThrottledError extends ApiError {
  constructor(who: 'address' | 'key', retryAfterSeconds: number) {
    const subject = who === 'address' ? 'from this address' : 'naming this API key';
    super(
      'RATE_LIMITED',
      `Too many requests ${subject} failed authentication in the last minute; retry in ${retryAfterSeconds} s.`,
      {
        retryAfterSeconds,
      },
    );
  }
}

export class AuthThrottle {
  readonly #admission: AdmissionRepository;
  readonly #clock: Clock;
  readonly #budget: { windowMs: number; budget: number };
  /** Addresses over their limit, and until when: learned from the shared counts on each failure. */
  readonly #refusedUntil = new Map<string, number>();

  constructor(deps: { admission: AdmissionRepository; clock: Clock; failuresPerMinute: number }) {
    this.#admission = deps.admission;
    this.#clock = deps.clock;
    this.#budget = { windowMs: WINDOW_MS, budget: deps.failuresPerMinute };
  }

  /** Throws AuthThrottledError while `address` is over its limit (no store access: cheap). */
  checkAddress(address: string): void {
    const until = this.#refusedUntil.get(address);
    if (until === undefined) return;
    const now = this.#clock.now();
    if (until <= now) {
      this.#refusedUntil.delete(address);
      return;
    }
    throw new AuthThrottledError('address', Math.ceil((until - now) / 1000));
  }

  /**
   * Counts one failure against the address and, when it names a key that exists, against that key.
   * Throws AuthThrottledError when either is now over its limit; returns otherwise.
   */
  async recordFailure(address: string, keyId: string | undefined): Promise<void> {
    const now = this.#clock.now();
    const byAddress = await this.#admission.spendWeight(`auth-failures:address:${address}`, 1, now, this.#budget);
    if (!byAddress.admitted) {
      this.#remember(address, now + byAddress.retryAfterMs);
      throw new AuthThrottledError('address', Math.ceil(byAddress.retryAfterMs / 1000));
    }
    if (keyId === undefined) return;
    const byKey = await this.#admission.spendWeight(`auth-failures:key:${keyId}`, 1, now, this.#budget);
    if (!byKey.admitted) throw new AuthThrottledError('key', Math.ceil(byKey.retryAfterMs / 1000));
  }

  #remember(address: string, until: number): void {
    if (this.#refusedUntil.size >= MAX_REMEMBERED) {
      const now = this.#clock.now();
      for (const [known, knownUntil] of this.#refusedUntil) if (knownUntil <= now) this.#refusedUntil.delete(known);
      // Still full of live entries: forget the oldest; the shared counts refuse it again on its next failure.
      if (this.#refusedUntil.size >= MAX_REMEMBERED) this.#refusedUntil.delete(this.#refusedUntil.keys().next().value!);
    }
    this.#refusedUntil.set(address, until);
  }
}
