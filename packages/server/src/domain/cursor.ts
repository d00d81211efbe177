// Opaque keyset cursors: a position plus a MAC over the position, the account and the filters it was
// issued for. Anything altered, foreign or reused with other filters fails the MAC.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { specDefaults } from '@pipai/contract';
import { invalidParameter } from './errors.ts';

/** The rows a page asks for: those before the cursor's position, one more than the page holds. */
export interface PageWindow {
  beforeSeq?: number;
  limit: number;
}

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

  /**
   * One page of a listing, newest first, keyed by position: reads the cursor (400 on `cursor` when
   * it was not issued for `scope`), fetches one row more than the page to learn whether another
   * follows, and issues the next cursor from the page's last position.
   */
  async page<R extends { seq: number }, T>(
    scope: string,
    query: { cursor?: string; limit?: number },
    fetch: (window: PageWindow) => Promise<R[]>,
    present: (record: NoInfer<R>) => T,
  ): Promise<{ data: T[]; next_cursor: string | null }> {
    const limit = query.limit ?? specDefaults.pageSize;
    const beforeSeq = query.cursor === undefined ? undefined : this.read(scope, query.cursor);
    if (query.cursor !== undefined && beforeSeq === undefined) {
      throw invalidParameter('cursor', 'query', 'is malformed, altered, or was issued for other filters');
    }
    const records = await fetch({ ...(beforeSeq === undefined ? {} : { beforeSeq }), limit: limit + 1 });
    const page = records.slice(0, limit);
    const last = page.at(-1);
    return {
      data: page.map(present),
      next_cursor: records.length > limit && last ? this.issue(scope, last.seq) : null,
    };
  }
}
