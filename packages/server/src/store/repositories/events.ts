// The outbox: an event is stored with its delivery jobs in one transaction, so a stored event is
// always delivered and a delivery always has its event.
import type { EventQuery, EventRepository } from '../../domain/ports.ts';
import type { BalanceCrossing, EventRecord, WebhookRecord } from '../../domain/records.ts';
import { eventFromRow } from '../rows.ts';
import { type SqlExecutor, SqlRepository } from '../sql.ts';
import { insertJobs } from './delivery-queue.ts';
import { listActiveWebhooks } from './webhooks.ts';

/** Inserts the event (a test delivery's when `test`). */
export async function insertEventRow(tx: SqlExecutor, event: EventRecord, test = false): Promise<void> {
  await tx.run('INSERT INTO events (id, account_id, type, data, created_at, test) VALUES ($1, $2, $3, $4, $5, $6)', [
    event.id,
    event.accountId,
    event.type,
    JSON.stringify(event.data),
    event.createdAt,
    test,
  ]);
}

export class SqlEvents extends SqlRepository implements EventRepository {
  async insert(event: EventRecord, deliverTo: (activeWebhooks: WebhookRecord[]) => string[]): Promise<string[]> {
    return this.db.transaction(async (tx) => {
      await insertEventRow(tx, event);
      const webhookIds = deliverTo(await listActiveWebhooks(tx, event.accountId));
      await insertJobs(tx, event.id, webhookIds, 'event', event.createdAt);
      return webhookIds;
    });
  }

  async recordBalanceCrossings(asset: string, crossings: readonly BalanceCrossing[]): Promise<EventRecord[]> {
    return this.db.transaction(async (tx) => {
      const published: EventRecord[] = [];
      for (const crossing of crossings) {
        // Unknown counts as the other side, so a first report below publishes. The row's lock
        // serializes concurrent reports for the same webhook and asset.
        await tx.run(
          'INSERT INTO balance_alerts (webhook_id, asset, below) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
          [crossing.webhookId, asset, !crossing.below],
        );
        const row = await tx.get(
          `SELECT below FROM balance_alerts WHERE webhook_id = $1 AND asset = $2${tx.dialect.lockRows('update')}`,
          [crossing.webhookId, asset],
        );
        await tx.run('UPDATE balance_alerts SET below = $3 WHERE webhook_id = $1 AND asset = $2', [
          crossing.webhookId,
          asset,
          crossing.below,
        ]);
        if (crossing.below && !row!.below) {
          await insertEventRow(tx, crossing.event);
          await insertJobs(tx, crossing.event.id, [crossing.webhookId], 'event', crossing.event.createdAt);
          published.push(crossing.event);
        }
      }
      return published;
    });
  }

  async list(accountId: string, query: EventQuery): Promise<(EventRecord & { seq: number })[]> {
    const params: unknown[] = [accountId];
    const where = ['account_id = $1', 'NOT test'];
    const param = (value: unknown) => {
      params.push(value);
      return `$${params.length}`;
    };
    if (query.type !== undefined) where.push(`type = ${param(query.type)}`);
    if (query.since !== undefined) where.push(`created_at >= ${param(query.since)}`);
    if (query.until !== undefined) where.push(`created_at < ${param(query.until)}`);
    if (query.beforeSeq !== undefined) where.push(`seq < ${param(query.beforeSeq)}`);
    const rows = await this.db.all(
      `SELECT * FROM events WHERE ${where.join(' AND ')} ORDER BY seq DESC LIMIT ${param(query.limit)}`,
      params,
    );
    return rows.map((row) => ({ ...eventFromRow(row), seq: Number(row.seq) }));
  }

  async find(accountId: string, id: string): Promise<EventRecord | undefined> {
    const row = await this.db.get('SELECT * FROM events WHERE account_id = $1 AND id = $2 AND NOT test', [
      accountId,
      id,
    ]);
    return row && eventFromRow(row);
  }
}
