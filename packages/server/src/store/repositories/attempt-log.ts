// The delivery log: every attempt, numbered per event and webhook.
import type { AttemptLog, AttemptQuery } from '../../domain/ports.ts';
import type { DeliveryAttempt, EventRecord, NewDeliveryAttempt } from '../../domain/records.ts';
import { ATTEMPT_COLUMNS, attemptFromRow, attemptRow, eventFromRow, jsonColumn } from '../rows.ts';
import { type SqlExecutor, SqlRepository } from '../sql.ts';
import { insertEventRow } from './events.ts';

/**
 * Appends attempts (inside the caller's transaction) in one statement, each numbered after the
 * attempts already logged for its event and webhook and before the later ones of the same batch.
 */
export async function insertAttempts(
  tx: SqlExecutor,
  attempts: readonly NewDeliveryAttempt[],
): Promise<DeliveryAttempt[]> {
  if (attempts.length === 0) return [];
  const columns = ATTEMPT_COLUMNS.map(([name]) => name);
  const values = columns.map((name) =>
    name === 'attempt'
      ? `(SELECT COUNT(*) FROM delivery_attempts p WHERE p.webhook_id = a.webhook_id AND p.event_id = a.event_id)
          + ROW_NUMBER() OVER (PARTITION BY a.webhook_id, a.event_id ORDER BY a.ord)`
      : `a.${name}`,
  );
  const rows = attempts.map((attempt, ord) => ({ ...attemptRow({ ...attempt, attempt: 0 }), ord }));
  // Only what the store assigned comes back: the rest is the caller's record as it was written.
  const inserted = await tx.all(
    `INSERT INTO delivery_attempts (${columns.join(', ')})
     SELECT ${values.join(', ')} FROM ${tx.dialect.table('$1', 'a', [...ATTEMPT_COLUMNS, ['ord', 'int']])}
     RETURNING id, seq, attempt`,
    [JSON.stringify(rows)],
  );
  const assigned = new Map(
    inserted.map((row) => [row.id as string, { seq: Number(row.seq), attempt: Number(row.attempt) }]),
  );
  return attempts.map((attempt) => ({ ...attempt, ...assigned.get(attempt.id)! }));
}

export class SqlAttemptLog extends SqlRepository implements AttemptLog {
  async storeTestEvent(event: EventRecord): Promise<EventRecord> {
    // Read back as stored: only test deliveries need it (published events are read from the store anyway).
    return this.db.transaction(async (tx) => {
      await insertEventRow(tx, event, true);
      const row = await tx.get('SELECT data FROM events WHERE id = $1', [event.id]);
      return { ...event, data: jsonColumn(row!.data) };
    });
  }

  async recordTest(attempt: NewDeliveryAttempt): Promise<DeliveryAttempt> {
    return this.db.transaction(async (tx) => (await insertAttempts(tx, [attempt]))[0]!);
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
    const rows = await this.db.all(
      `SELECT a.* FROM delivery_attempts a JOIN webhooks w ON w.id = a.webhook_id
       WHERE ${where.join(' AND ')} ORDER BY a.seq DESC LIMIT ${param(query.limit)}`,
      params,
    );
    return rows.map(attemptFromRow);
  }

  async listForEvent(accountId: string, eventId: string): Promise<DeliveryAttempt[]> {
    const rows = await this.db.all(
      `SELECT a.* FROM delivery_attempts a JOIN webhooks w ON w.id = a.webhook_id
       WHERE w.account_id = $1 AND a.event_id = $2 ORDER BY a.seq`,
      [accountId, eventId],
    );
    return rows.map(attemptFromRow);
  }

  async findWithEvent(
    accountId: string,
    webhookId: string,
    attemptId: string,
  ): Promise<{ attempt: DeliveryAttempt; event: EventRecord | undefined } | undefined> {
    const row = await this.db.get(
      `SELECT a.*, e.account_id AS event_account_id, e.type AS event_type, e.data AS event_data,
              e.created_at AS event_created_at
       FROM delivery_attempts a JOIN webhooks w ON w.id = a.webhook_id LEFT JOIN events e ON e.id = a.event_id
       WHERE w.account_id = $1 AND a.webhook_id = $2 AND a.id = $3`,
      [accountId, webhookId, attemptId],
    );
    if (!row) return undefined;
    return {
      attempt: attemptFromRow(row),
      event: row.event_account_id === null ? undefined : eventFromRow(row, 'event_'),
    };
  }

  async find(accountId: string, webhookId: string, attemptId: string): Promise<DeliveryAttempt | undefined> {
    const row = await this.db.get(
      `SELECT a.* FROM delivery_attempts a JOIN webhooks w ON w.id = a.webhook_id
       WHERE w.account_id = $1 AND a.webhook_id = $2 AND a.id = $3`,
      [accountId, webhookId, attemptId],
    );
    return row && attemptFromRow(row);
  }
}
