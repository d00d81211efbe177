// The delivery log: every attempt, numbered per event and webhook.
import type { AttemptLog, AttemptQuery } from '../../domain/ports.ts';
import type { DeliveryAttempt, EventRecord, NewDeliveryAttempt } from '../../domain/records.ts';
import { ATTEMPT_COLUMNS, attemptFromRow, attemptRow } from '../rows.ts';
import type { SqlExecutor } from '../sql.ts';
import { insertEventRow } from './events.ts';

const pairKey = (attempt: { webhookId: string; eventId: string }) => `${attempt.webhookId} ${attempt.eventId}`;

/**
 * Appends attempts (inside the caller's transaction), each numbered after the attempts already
 * logged for its event and webhook. One statement counts, one inserts, however many there are.
 */
export async function insertAttempts(
  tx: SqlExecutor,
  attempts: readonly NewDeliveryAttempt[],
): Promise<DeliveryAttempt[]> {
  if (attempts.length === 0) return [];
  const pairs = [...new Map(attempts.map((attempt) => [pairKey(attempt), attempt])).values()];
  const counted = await tx.all(
    `SELECT a.webhook_id, a.event_id, COUNT(*) AS n FROM delivery_attempts a
     JOIN ${tx.dialect.table('$1', 'pair', [
       ['webhook_id', 'text'],
       ['event_id', 'text'],
     ])} ON a.webhook_id = pair.webhook_id AND a.event_id = pair.event_id
     GROUP BY a.webhook_id, a.event_id`,
    [JSON.stringify(pairs.map((attempt) => ({ webhook_id: attempt.webhookId, event_id: attempt.eventId })))],
  );
  const soFar = new Map(counted.map((row) => [`${row.webhook_id} ${row.event_id}`, Number(row.n)]));
  const rows = attempts.map((attempt) => {
    const number = (soFar.get(pairKey(attempt)) ?? 0) + 1;
    soFar.set(pairKey(attempt), number);
    return attemptRow({ ...attempt, attempt: number });
  });
  const columns = ATTEMPT_COLUMNS.map(([name]) => name).join(', ');
  const inserted = await tx.all(
    `INSERT INTO delivery_attempts (${columns}) SELECT ${columns} FROM ${tx.dialect.table('$1', 'a', ATTEMPT_COLUMNS)} RETURNING *`,
    [JSON.stringify(rows)],
  );
  const byId = new Map(inserted.map((row) => [row.id as string, attemptFromRow(row)]));
  return attempts.map((attempt) => byId.get(attempt.id)!);
}

export class SqlAttemptLog implements AttemptLog {
  readonly #db: SqlExecutor;

  constructor(db: SqlExecutor) {
    this.#db = db;
  }

  async recordTest(event: EventRecord, attempt: NewDeliveryAttempt): Promise<DeliveryAttempt> {
    return this.#db.transaction(async (tx) => {
      await insertEventRow(tx, event);
      const [recorded] = await insertAttempts(tx, [attempt]);
      return recorded!;
    });
  }

  async list(accountId: string, webhookId: string, query: AttemptQuery): Promise<DeliveryAttempt[]> {
    const params: unknown[] = [accountId, webhookId];
    const where = ['w.account_id = $1', 'a.webhook_id = $2'];
    const param = (value: unknown) => {
      params.push(value);
      return `$${params.length}`;
    };
    if (query.status !== undefined) where.push(`a.status = ${param(query.status)}`);
    if (query.type !== undefined) where.push(`a.type = ${param(query.type)}`);
    if (query.eventId !== undefined) where.push(`a.event_id = ${param(query.eventId)}`);
    if (query.beforeSeq !== undefined) where.push(`a.seq < ${param(query.beforeSeq)}`);
    const rows = await this.#db.all(
      `SELECT a.* FROM delivery_attempts a JOIN webhooks w ON w.id = a.webhook_id
       WHERE ${where.join(' AND ')} ORDER BY a.seq DESC LIMIT ${param(query.limit)}`,
      params,
    );
    return rows.map(attemptFromRow);
  }

  async find(accountId: string, webhookId: string, attemptId: string): Promise<DeliveryAttempt | undefined> {
    const row = await this.#db.get(
      `SELECT a.* FROM delivery_attempts a JOIN webhooks w ON w.id = a.webhook_id
       WHERE w.account_id = $1 AND a.webhook_id = $2 AND a.id = $3`,
      [accountId, webhookId, attemptId],
    );
    return row && attemptFromRow(row);
  }
}
