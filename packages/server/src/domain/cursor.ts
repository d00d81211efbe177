// Opaque keyset cursors: a position plus a MAC over the position, the account and the filters it was
// issued for. Anything altered, foreign or reused with other filters fails the MAC.
import { createHmac, timingSafeEqual } from 'node:crypto';

const POSITION_BYTES = 8;
const MAC_BYTES = 16;

export class CursorCodec {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    this.#key = key;
  }

  #mac(scope: string, position: Buffer): Buffer {
    return createHmac('sha256', this.#key).update(scope).update('\n').update(position).digest().subarray(0, MAC_BYTES);
  }

  /** `scope` names everything the cursor is bound to (account, collection, filters). */
  issue(scope: string, position: number): string {
    const bytes = Buffer.alloc(POSITION_BYTES);
    bytes.writeBigUInt64BE(BigInt(position));
    return Buffer.concat([bytes, this.#mac(scope, bytes)]).toString('base64url');
  }

  /** The position, or undefined when the cursor is not one this codec issued for `scope`. */
  read(scope: string, cursor: string): number | undefined {
    const bytes = Buffer.from(cursor, 'base64url');
    if (bytes.length !== POSITION_BYTES + MAC_BYTES || bytes.toString('base64url') !== cursor) return undefined;
    const position = bytes.subarray(0, POSITION_BYTES);
    if (!timingSafeEqual(bytes.subarray(POSITION_BYTES), this.#mac(scope, position))) return undefined;
    return Number(position.readBigUInt64BE());
  }
}
