// Webhooks: the account's endpoints, their subscriptions, secrets and health.
import type { InsertWebhookResult, UpdateWebhookResult, WebhookQuery, WebhookRepository } from '../../domain/ports.ts';
import type { NewWebhook, WebhookChanges, WebhookRecord, WebhookView } from '../../domain/records.ts';
import {
  WEBHOOK_INSERT_COLUMNS,
  WEBHOOK_VIEW_COLUMNS,
  webhookAssignments,
  webhookFromRow,
  webhookInsertValues,
  webhookViewFromRow,
} from '../rows.ts';
import { type SqlExecutor, SqlRepository } from '../sql.ts';

const placeholders = (count: number, from = 1) =>
  Array.from({ length: count }, (_, index) => `$${from + index}`).join(', ');

export class SqlWebhooks extends SqlRepository implements WebhookRepository {
  async insert(webhook: NewWebhook, maxPerAccount: number): Promise<InsertWebhookResult> {
    return this.db.transaction(async (tx) => {
      // One account's creates are serialized, so the count below cannot go stale.
      await tx.dialect.lock(tx, `webhooks:${webhook.accountId}`);
      const duplicate = await tx.get('SELECT 1 FROM webhooks WHERE account_id = $1 AND normalized_url = $2', [
        webhook.accountId,
        webhook.normalizedUrl,
      ]);
      if (duplicate) return 'duplicate_url';
      const count = await tx.get('SELECT COUNT(*) AS n FROM webhooks WHERE account_id = $1', [webhook.accountId]);
      if (Number(count!.n) >= maxPerAccount) return 'limit_reached';
      const values = webhookInsertValues(webhook);
      // A colliding id fails only this statement; the transaction goes on to report it.
      await tx.run('SAVEPOINT insert_webhook');
      try {
        await tx.run(
          `INSERT INTO webhooks (${WEBHOOK_INSERT_COLUMNS}) VALUES (${placeholders(values.length)})`,
          values,
        );
        return 'created';
      } catch (error) {
        if (!tx.dialect.isUniqueViolation(error, 'webhook_id')) throw error;
        await tx.run('ROLLBACK TO SAVEPOINT insert_webhook');
        return 'id_taken';
      }
    });
  }

  async find(accountId: string, id: string): Promise<WebhookRecord | undefined> {
    const row = await this.db.get('SELECT * FROM webhooks WHERE account_id = $1 AND id = $2', [accountId, id]);
    return row && webhookFromRow(row);
  }

  async list(accountId: string, query: WebhookQuery): Promise<WebhookView[]> {
    const params: unknown[] = [accountId];
    const where = ['account_id = $1'];
    const param = (value: unknown) => {
      params.push(value);
      return `$${params.length}`;
    };
    if (query.status) where.push(`status = ${param(query.status)}`);
    if (query.subscribedToAny) where.push(this.db.dialect.overlaps('events', param(query.subscribedToAny)));
    if (query.beforeSeq !== undefined) where.push(`seq < ${param(query.beforeSeq)}`);
    const rows = await this.db.all(
      `SELECT ${WEBHOOK_VIEW_COLUMNS} FROM webhooks WHERE ${where.join(' AND ')} ORDER BY seq DESC LIMIT ${param(query.limit)}`,
      params,
    );
    return rows.map(webhookViewFromRow);
  }

  async listActive(accountId: string): Promise<WebhookRecord[]> {
    return listActiveWebhooks(this.db, accountId);
  }

  async update(accountId: string, id: string, changes: WebhookChanges): Promise<UpdateWebhookResult> {
    const { columns, values } = webhookAssignments(changes);
    const assignments = columns.map((column, index) => `${column} = $${index + 3}`);
    try {
      return await this.db.transaction(async (tx) => {
        const row = await tx.get(
          `UPDATE webhooks SET ${[...assignments, 'id = id'].join(', ')} WHERE account_id = $1 AND id = $2 RETURNING *`,
          [accountId, id, ...values],
        );
        if (!row) return { outcome: 'not_found' as const };
        // A new threshold starts its crossings afresh.
        if (changes.balanceLowThreshold !== undefined)
          await tx.run('DELETE FROM balance_alerts WHERE webhook_id = $1', [id]);
        return { outcome: 'updated' as const, webhook: webhookFromRow(row) };
      });
    } catch (error) {
      if (this.db.dialect.isUniqueViolation(error, 'webhook_url')) return { outcome: 'duplicate_url' };
      throw error;
    }
  }

  async delete(accountId: string, id: string): Promise<boolean> {
    // The cascade to its jobs locks them in no fixed order: in a transaction, a deadlock PostgreSQL
    // breaks is run again rather than answered as an error.
    return this.db.transaction(
      async (tx) => (await tx.run('DELETE FROM webhooks WHERE account_id = $1 AND id = $2', [accountId, id])) > 0,
    );
  }

  async rotateSecret(
    accountId: string,
    id: string,
    sealedSecret: string,
    previousExpiresAt: number,
  ): Promise<WebhookRecord | undefined> {
    const row = await this.db.get(
      `UPDATE webhooks SET previous_sealed_secret = sealed_secret, previous_secret_expires_at = $1, sealed_secret = $2
       WHERE account_id = $3 AND id = $4 RETURNING *`,
      [previousExpiresAt, sealedSecret, accountId, id],
    );
    return row && webhookFromRow(row);
  }
}

/** The account's active webhooks, oldest first: what an event is delivered to. */
export async function listActiveWebhooks(db: SqlExecutor, accountId: string): Promise<WebhookRecord[]> {
  const rows = await db.all("SELECT * FROM webhooks WHERE account_id = $1 AND status = 'active' ORDER BY seq", [
    accountId,
  ]);
  return rows.map(webhookFromRow);
}
