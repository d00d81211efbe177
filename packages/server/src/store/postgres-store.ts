// The scale-out store: PostgreSQL through `pg`, shared by any number of API (and worker) processes.
// Cross-process atomicity comes from row locks and advisory locks inside transactions.
import pg from 'pg';
import { postgresMigrations } from './migrations.ts';
import type {
  AccountRecord,
  ApiKeyRecord,
  InsertWebhookResult,
  NewApiKey,
  NewWebhook,
  Store,
  UpdateWebhookResult,
  WebhookChanges,
  WebhookQuery,
  WebhookRecord,
  WeightBudget,
  WeightCharge,
} from './store.ts';
import { apiKeyFromRow, webhookAssignments, webhookFromRow, WEBHOOK_INSERT_COLUMNS, webhookInsertValues } from './rows.ts';
import { retryAfterMs } from './weight-window.ts';

const INT8_OID = 20;
// BIGINT columns hold epoch milliseconds and sequence numbers, all below 2^53.
const types = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === INT8_OID ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

const isUniqueViolation = (error: unknown, constraint: string) =>
  (error as { code?: string; constraint?: string }).code === '23505' && (error as { constraint?: string }).constraint === constraint;

export class PostgresStore implements Store {
  readonly kind = 'postgres';
  readonly #pool: pg.Pool;

  constructor(connectionString: string, options: { maxConnections?: number } = {}) {
    this.#pool = new pg.Pool({ connectionString, types, max: options.maxConnections ?? 10 });
  }

  async #transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async migrate(): Promise<void> {
    await this.#transaction(async (client) => {
      // Several processes may start at once: one migrates, the others wait and then find nothing to do.
      await client.query("SELECT pg_advisory_xact_lock(hashtext('pipai:migrations'))");
      await client.query(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)',
      );
      const { rows } = await client.query('SELECT version FROM schema_migrations');
      const applied = new Set(rows.map((row) => Number(row.version)));
      for (const migration of postgresMigrations) {
        if (applied.has(migration.version)) continue;
        await client.query(migration.sql);
        await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
          migration.version,
          migration.name,
          Date.now(),
        ]);
      }
    });
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }

  async ensureAccount(account: AccountRecord): Promise<AccountRecord> {
    await this.#pool.query('INSERT INTO accounts (id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING', [
      account.id,
      account.name,
      account.createdAt,
    ]);
    return (await this.findAccountByName(account.name))!;
  }

  async findAccountByName(name: string): Promise<AccountRecord | undefined> {
    const { rows } = await this.#pool.query('SELECT id, name, created_at FROM accounts WHERE name = $1', [name]);
    const row = rows[0];
    return row && { id: row.id, name: row.name, createdAt: row.created_at };
  }

  async insertApiKey(key: NewApiKey): Promise<void> {
    await this.#pool.query(
      'INSERT INTO api_keys (id, account_id, sealed_secret, scopes, created_at) VALUES ($1, $2, $3, $4, $5)',
      [key.id, key.accountId, key.sealedSecret, JSON.stringify(key.scopes), key.createdAt],
    );
  }

  async findApiKey(id: string): Promise<ApiKeyRecord | undefined> {
    const { rows } = await this.#pool.query(
      'SELECT k.*, a.name AS account_name FROM api_keys k JOIN accounts a ON a.id = k.account_id WHERE k.id = $1',
      [id],
    );
    return rows[0] && apiKeyFromRow(rows[0]);
  }

  async listApiKeys(accountName?: string): Promise<ApiKeyRecord[]> {
    const { rows } = await this.#pool.query(
      `SELECT k.*, a.name AS account_name FROM api_keys k JOIN accounts a ON a.id = k.account_id
       WHERE $1::text IS NULL OR a.name = $1 ORDER BY k.created_at, k.id`,
      [accountName ?? null],
    );
    return rows.map(apiKeyFromRow);
  }

  async revokeApiKey(id: string, at: number): Promise<boolean> {
    const result = await this.#pool.query('UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL', [at, id]);
    return (result.rowCount ?? 0) > 0;
  }

  async countApiKeys(): Promise<number> {
    const { rows } = await this.#pool.query('SELECT COUNT(*)::int AS n FROM api_keys');
    return rows[0].n;
  }

  async rememberSignature(signature: string, expiresAt: number, now: number): Promise<boolean> {
    const { rows } = await this.#pool.query(
      // An expired entry for the same signature counts as absent (the upsert's WHERE), and expired
      // entries of others are pruned on the way.
      `WITH pruned AS (DELETE FROM seen_signatures WHERE expires_at < $3 AND signature <> $1)
       INSERT INTO seen_signatures (signature, expires_at) VALUES ($1, $2)
       ON CONFLICT (signature) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE seen_signatures.expires_at < $3
       RETURNING 1`,
      [signature, expiresAt, now],
    );
    return rows.length === 1;
  }

  async spendWeight(keyId: string, weight: number, now: number, budget: WeightBudget): Promise<WeightCharge> {
    return this.#transaction(async (client) => {
      // One key's charges are serialized across every process sharing the database.
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`pipai:weight:${keyId}`]);
      await client.query('DELETE FROM weight_charges WHERE key_id = $1 AND at <= $2', [keyId, now - budget.windowMs]);
      const { rows } = await client.query('SELECT at, weight FROM weight_charges WHERE key_id = $1 ORDER BY at', [keyId]);
      const charges = rows.map((row) => ({ at: row.at as number, weight: row.weight as number }));
      const used = charges.reduce((sum, charge) => sum + charge.weight, 0);
      if (used + weight > budget.budget) {
        return { admitted: false, used, retryAfterMs: retryAfterMs(charges, weight, now, budget) };
      }
      await client.query('INSERT INTO weight_charges (key_id, at, weight) VALUES ($1, $2, $3)', [keyId, now, weight]);
      return { admitted: true, used: used + weight, retryAfterMs: 0 };
    });
  }

  async insertWebhook(webhook: NewWebhook, maxPerAccount: number): Promise<InsertWebhookResult> {
    return this.#transaction(async (client) => {
      // Locking the account row serializes its creates, so the count below cannot go stale.
      await client.query('SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE', [webhook.accountId]);
      const duplicate = await client.query('SELECT 1 FROM webhooks WHERE account_id = $1 AND normalized_url = $2', [
        webhook.accountId,
        webhook.normalizedUrl,
      ]);
      if (duplicate.rows.length > 0) return 'duplicate_url';
      const { rows } = await client.query('SELECT COUNT(*)::int AS n FROM webhooks WHERE account_id = $1', [webhook.accountId]);
      if (rows[0].n >= maxPerAccount) return 'limit_reached';
      await client.query('SAVEPOINT insert_webhook');
      try {
        await client.query(
          `INSERT INTO webhooks (${WEBHOOK_INSERT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
          webhookInsertValues(webhook),
        );
        return 'created';
      } catch (error) {
        if (!isUniqueViolation(error, 'webhooks_id_key')) throw error;
        await client.query('ROLLBACK TO SAVEPOINT insert_webhook');
        return 'id_taken';
      }
    });
  }

  async findWebhook(accountId: string, id: string): Promise<WebhookRecord | undefined> {
    const { rows } = await this.#pool.query('SELECT * FROM webhooks WHERE account_id = $1 AND id = $2', [accountId, id]);
    return rows[0] && webhookFromRow(rows[0]);
  }

  async listWebhooks(accountId: string, query: WebhookQuery): Promise<WebhookRecord[]> {
    const params: unknown[] = [accountId];
    const where = ['account_id = $1'];
    if (query.status) {
      params.push(query.status);
      where.push(`status = $${params.length}`);
    }
    if (query.subscribedToAny) {
      params.push(query.subscribedToAny);
      where.push(`events ?| $${params.length}::text[]`);
    }
    if (query.beforeSeq !== undefined) {
      params.push(query.beforeSeq);
      where.push(`seq < $${params.length}`);
    }
    params.push(query.limit);
    const { rows } = await this.#pool.query(
      `SELECT * FROM webhooks WHERE ${where.join(' AND ')} ORDER BY seq DESC LIMIT $${params.length}`,
      params,
    );
    return rows.map(webhookFromRow);
  }

  async updateWebhook(accountId: string, id: string, changes: WebhookChanges): Promise<UpdateWebhookResult> {
    const { columns, values } = webhookAssignments(changes);
    const assignments = columns.map((column, index) => `${column} = $${index + 3}`);
    try {
      const { rows } = await this.#pool.query(
        `UPDATE webhooks SET ${[...assignments, 'id = id'].join(', ')} WHERE account_id = $1 AND id = $2 RETURNING *`,
        [accountId, id, ...values],
      );
      return rows[0] ? { outcome: 'updated', webhook: webhookFromRow(rows[0]) } : { outcome: 'not_found' };
    } catch (error) {
      if (isUniqueViolation(error, 'webhooks_account_url')) return { outcome: 'duplicate_url' };
      throw error;
    }
  }

  async deleteWebhook(accountId: string, id: string): Promise<boolean> {
    const result = await this.#pool.query('DELETE FROM webhooks WHERE account_id = $1 AND id = $2', [accountId, id]);
    return (result.rowCount ?? 0) > 0;
  }
}
