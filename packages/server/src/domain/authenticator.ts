// Signed requests, exactly as the spec's Authentication section documents them:
// X-PipAI-Signature = hex HMAC-SHA256(api_secret, `{timestamp}\n{METHOD}\n{path?query}\n{raw body}`).
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { SecretBox } from '../crypto/secret-box.ts';
import { AuthThrottle } from './auth-throttle.ts';
import type { Clock } from './clock.ts';
import { ApiError } from './errors.ts';
import type { AccountRepository, AdmissionRepository } from './ports.ts';
import type { Principal } from './principal.ts';
import { RateLimitedError, type RateLimiter, type WeightUsage } from './rate-limiter.ts';

export interface SignedRequest {
  apiKey: string | undefined;
  timestamp: string | undefined;
  signature: string | undefined;
  method: string;
  /** The request target as sent: path and query string, byte for byte. */
  target: string;
  body: Buffer;
  /** Where the request came from: failed authentication is throttled per address. */
  clientAddress: string;
}

/** Failures per rolling minute, per client address and per key id, before 429 replaces 401. */
export const DEFAULT_AUTH_FAILURES_PER_MINUTE = 20;

export function canonicalString(timestamp: string, method: string, target: string, body: Buffer | string): Buffer {
  return Buffer.concat([Buffer.from(`${timestamp}\n${method.toUpperCase()}\n${target}\n`), Buffer.from(body)]);
}

export function signRequest(
  apiSecret: string,
  timestamp: string,
  method: string,
  target: string,
  body: Buffer | string,
): string {
  return createHmac('sha256', apiSecret)
    .update(canonicalString(timestamp, method, target, body))
    .digest('hex');
}

const unauthenticated = (detail: string) => new ApiError('UNAUTHENTICATED', detail);

export interface AuthenticatorDeps {
  accounts: AccountRepository;
  /** The failure counts of the throttle. */
  admission: AdmissionRepository;
  /** Replay protection and weights, spent once the request is known to be authentic. */
  rateLimiter: RateLimiter;
  secrets: SecretBox;
  clock: Clock;
  /** How far a request's timestamp may be from the server's clock, either way. */
  windowMs: number;
  failuresPerMinute?: number;
}

export class Authenticator {
  readonly #deps: AuthenticatorDeps;
  readonly throttle: AuthThrottle;

  constructor(deps: AuthenticatorDeps) {
    this.#deps = deps;
    this.throttle = new AuthThrottle({
      admission: deps.admission,
      clock: deps.clock,
      failuresPerMinute: deps.failuresPerMinute ?? DEFAULT_AUTH_FAILURES_PER_MINUTE,
    });
  }

  /**
   * The request's principal and the weight it spent; throws 401 (or 429 once failures from its
   * address or for its key pile up), or RateLimitedError when its weight does not fit (not a failure).
   */
  async authenticate(request: SignedRequest, weight: number): Promise<{ principal: Principal; usage: WeightUsage }> {
    this.throttle.checkAddress(request.clientAddress);
    const known: { keyId?: string } = {};
    try {
      return await this.#verify(request, weight, known);
    } catch (error) {
      if (error instanceof ApiError && !(error instanceof RateLimitedError)) {
        await this.throttle.recordFailure(request.clientAddress, known.keyId);
      }
      throw error;
    }
  }

  async #verify(
    request: SignedRequest,
    weight: number,
    known: { keyId?: string },
  ): Promise<{ principal: Principal; usage: WeightUsage }> {
    const { apiKey, timestamp, signature } = request;
    if (!apiKey) throw unauthenticated('The X-PipAI-API-Key header is missing.');
    if (!timestamp) throw unauthenticated('The X-PipAI-Timestamp header is missing.');
    if (!signature) throw unauthenticated('The X-PipAI-Signature header is missing.');
    if (!/^\d{1,16}$/.test(timestamp)) throw unauthenticated('X-PipAI-Timestamp must be Unix epoch milliseconds.');
    if (!/^[0-9a-f]{64}$/.test(signature))
      throw unauthenticated('X-PipAI-Signature must be 64 lowercase hex characters.');

    const key = await this.#deps.accounts.findKey(apiKey);
    if (!key || key.revokedAt !== null) throw unauthenticated('The API key is unknown or revoked.');
    known.keyId = key.id;

    const expected = Buffer.from(
      signRequest(this.#deps.secrets.open(key.sealedSecret), timestamp, request.method, request.target, request.body),
      'hex',
    );
    if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) {
      throw new ApiError('INVALID_SIGNATURE', 'X-PipAI-Signature does not match the request.');
    }
    // Only an authentic request learns about its clock: the signature was checked first.
    const now = this.#deps.clock.now();
    const skew = Number(timestamp) - now;
    if (Math.abs(skew) > this.#deps.windowMs) {
      throw new ApiError(
        'TIMESTAMP_OUT_OF_WINDOW',
        `X-PipAI-Timestamp is ${Math.round(Math.abs(skew) / 1000)} s ${skew < 0 ? 'behind' : 'ahead of'} server time; the window is ${this.#deps.windowMs / 1000} s.`,
      );
    }
    const principal = { accountId: key.accountId, accountName: key.accountName, keyId: key.id, scopes: key.scopes };
    const usage = await this.#deps.rateLimiter
      .admit(key.id, weight, { value: signature, signedAt: Number(timestamp), replayWindowMs: this.#deps.windowMs })
      .catch((error: unknown) => {
        // Authentic, only out of weight: the logs still name whose request it was.
        if (error instanceof RateLimitedError) error.principal = principal;
        throw error;
      });
    if (usage === 'replayed') {
      throw new ApiError('INVALID_SIGNATURE', 'This signature was already used; sign every request afresh.');
    }
    return { principal, usage };
  }
}
