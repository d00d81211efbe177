// Signed requests, exactly as the spec's Authentication section documents them:
// X-PipAI-Signature = hex HMAC-SHA256(api_secret, `{timestamp}\n{METHOD}\n{path?query}\n{raw body}`).
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { SecretBox } from '../crypto/secret-box.ts';
import type { Store } from '../store/store.ts';
import type { Clock } from './clock.ts';
import { ApiError } from './errors.ts';
import type { Principal } from './principal.ts';

export interface SignedRequest {
  apiKey: string | undefined;
  timestamp: string | undefined;
  signature: string | undefined;
  method: string;
  /** The request target as sent: path and query string, byte for byte. */
  target: string;
  body: Buffer;
}

export function canonicalString(timestamp: string, method: string, target: string, body: Buffer | string): Buffer {
  return Buffer.concat([Buffer.from(`${timestamp}\n${method.toUpperCase()}\n${target}\n`), Buffer.from(body)]);
}

export function signRequest(apiSecret: string, timestamp: string, method: string, target: string, body: Buffer | string): string {
  return createHmac('sha256', apiSecret).update(canonicalString(timestamp, method, target, body)).digest('hex');
}

const unauthenticated = (detail: string) => new ApiError('UNAUTHENTICATED', detail);

export class Authenticator {
  readonly #store: Store;
  readonly #secrets: SecretBox;
  readonly #clock: Clock;
  readonly #windowMs: number;

  constructor(deps: { store: Store; secrets: SecretBox; clock: Clock; windowMs: number }) {
    this.#store = deps.store;
    this.#secrets = deps.secrets;
    this.#clock = deps.clock;
    this.#windowMs = deps.windowMs;
  }

  async authenticate(request: SignedRequest): Promise<Principal> {
    const { apiKey, timestamp, signature } = request;
    if (!apiKey) throw unauthenticated('The X-PipAI-API-Key header is missing.');
    if (!timestamp) throw unauthenticated('The X-PipAI-Timestamp header is missing.');
    if (!signature) throw unauthenticated('The X-PipAI-Signature header is missing.');
    if (!/^\d{1,16}$/.test(timestamp)) throw unauthenticated('X-PipAI-Timestamp must be Unix epoch milliseconds.');
    if (!/^[0-9a-f]{64}$/.test(signature)) throw unauthenticated('X-PipAI-Signature must be 64 lowercase hex characters.');

    const key = await this.#store.findApiKey(apiKey);
    if (!key || key.revokedAt !== null) throw unauthenticated('The API key is unknown or revoked.');

    const expected = Buffer.from(signRequest(this.#secrets.open(key.sealedSecret), timestamp, request.method, request.target, request.body), 'hex');
    if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) {
      throw new ApiError('INVALID_SIGNATURE', 'X-PipAI-Signature does not match the request.');
    }
    // Only an authentic request learns about its clock: the signature was checked first.
    const now = this.#clock.now();
    const skew = Number(timestamp) - now;
    if (Math.abs(skew) > this.#windowMs) {
      throw new ApiError(
        'TIMESTAMP_OUT_OF_WINDOW',
        `X-PipAI-Timestamp is ${Math.round(Math.abs(skew) / 1000)} s ${skew < 0 ? 'behind' : 'ahead of'} server time; the window is ${this.#windowMs / 1000} s.`,
      );
    }
    if (!(await this.#store.rememberSignature(signature, Number(timestamp) + this.#windowMs, now))) {
      throw new ApiError('INVALID_SIGNATURE', 'This signature was already used; sign every request afresh.');
    }
    return { accountId: key.accountId, accountName: key.accountName, keyId: key.id, scopes: key.scopes };
  }
}
