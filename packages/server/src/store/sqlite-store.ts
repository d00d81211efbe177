// The embedded default: one SQLite file through Node's built-in node:sqlite. Calls are synchronous,
// so each method's statements run without interleaving inside this process; BEGIN IMMEDIATE makes
// the multi-statement ones atomic against other processes on the same file too.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type SQLInputValue } from 'node:sqlite';
import { sqliteMigrations } from './migrations.ts';
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

const isUniqueViolation = (error: unknown, constraintColumns: string) =>
  error instanceof Error && error.message.includes(`UNIQUE constraint failed: ${constraintColumns}`);

export class SqliteStore implements Store {
  readonly kind = 'sqlite';
  readonly #db: DatabaseSync;

  constructor(file: string) {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    this.#db = new DatabaseSync(file);
    this.#db.exec(`
      PRAGMA journal_mode = WAL;
      PRAGMA synchronous = NORMAL;
      PRAGMA busy_timeout = 5000;
      PRAGMA foreign_keys = ON;
    `);
  }

  #transaction<T>(work: () => T): T {
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      const result = work();
      this.#db.exec('COMMIT');
      return result;
    } catch (error) {
      this.#db.exec('ROLLBACK');
      throw error;
    }
  }

  async migrate(): Promise<void> {
    this.#db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
    this.#transaction(() => {
      const applied = new Set(
        this.#db.prepare('SELECT version FROM schema_migrations').all().map((row) => Number(row.version)),
      );
      for (const migration of sqliteMigrations) {
        if (applied.has(migration.version)) continue;
        this.#db.exec(migration.sql);
        this.#db
          .prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)')
          .run(migration.version, migration.name, Date.now());
      }
    });
  }

  async close(): Promise<void> {
    if (this.#db.isOpen) this.#db.close();
  }

  async ensureAccount(account: AccountRecord): Promise<AccountRecord> {
    this.#db
      .prepare('INSERT INTO accounts (id, name, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING')
      .run(account.id, account.name, account.createdAt);
    return (await this.findAccountByName(account.name))!;
  }

  async findAccountByName(name: string): Promise<AccountRecord | undefined> {
    const row = this.#db.prepare('SELECT id, name, created_at FROM accounts WHERE name = ?').get(name);
    return row && { id: row.id as string, name: row.name as string, createdAt: Number(row.created_at) };
  }

  async insertApiKey(key: NewApiKey): Promise<void> {
    this.#db
      .prepare('INSERT INTO api_keys (id, account_id, sealed_secret, scopes, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(key.id, key.accountId, key.sealedSecret, JSON.stringify(key.scopes), key.createdAt);
  }

  async findApiKey(id: string): Promise<ApiKeyRecord | undefined> {
    const row = this.#db
      .prepare('SELECT k.*, a.name AS account_name FROM api_keys k JOIN accounts a ON a.id = k.account_id WHERE k.id = ?')
      .get(id);
    return row && apiKeyFromRow(row);
  }

  async listApiKeys(accountName?: string): Promise<ApiKeyRecord[]> {
    const rows = this.#db
      .prepare(
        `SELECT k.*, a.name AS account_name FROM api_keys k JOIN accounts a ON a.id = k.account_id
         WHERE ? IS NULL OR a.name = ? ORDER BY k.created_at, k.id`,
      )
      .all(accountName ?? null, accountName ?? null);
    return rows.map(apiKeyFromRow);
  }

  async revokeApiKey(id: string, at: number): Promise<boolean> {
    const result = this.#db.prepare('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(at, id);
    return Number(result.changes) > 0;
  }

  async countApiKeys(): Promise<number> {
    return Number(this.#db.prepare('SELECT COUNT(*) AS n FROM api_keys').get()!.n);
  }

  async rememberSignature(signature: string, expiresAt: number, now: number): Promise<boolean> {
    this.#db.prepare('DELETE FROM seen_signatures WHERE expires_at < ?').run(now);
    const result = this.#db
      .prepare(
        `INSERT INTO seen_signatures (signature, expires_at) VALUES (?, ?)
         ON CONFLICT (signature) DO UPDATE SET expires_at = excluded.expires_at WHERE seen_signatures.expires_at < ?`,
      )
      .run(signature, expiresAt, now);
    return Number(result.changes) === 1;
  }

  async spendWeight(keyId: string, weight: number, now: number, budget: WeightBudget): Promise<WeightCharge> {
    return this.#transaction(() => {
      this.#db.prepare('DELETE FROM weight_charges WHERE key_id = ? AND at <= ?').run(keyId, now - budget.windowMs);
      const charges = this.#db
        .prepare('SELECT at, weight FROM weight_charges WHERE key_id = ? ORDER BY at')
        .all(keyId)
        .map((row) => ({ at: Number(row.at), weight: Number(row.weight) }));
      const used = charges.reduce((sum, charge) => sum + charge.weight, 0);
      if (used + weight > budget.budget) {
        return { admitted: false, used, retryAfterMs: retryAfterMs(charges, weight, now, budget) };
      }
      this.#db.prepare('INSERT INTO weight_charges (key_id, at, weight) VALUES (?, ?, ?)').run(keyId, now, weight);
      return { admitted: true, used: used + weight, retryAfterMs: 0 };
    });
  }

  async insertWebhook(webhook: NewWebhook, maxPerAccount: number): Promise<InsertWebhookResult> {
    return this.#transaction(() => {
      const duplicate = this.#db
        .prepare('SELECT 1 FROM webhooks WHERE account_id = ? AND normalized_url = ?')
        .get(webhook.accountId, webhook.normalizedUrl);
      if (duplicate) return 'duplicate_url';
      const count = Number(this.#db.prepare('SELECT COUNT(*) AS n FROM webhooks WHERE account_id = ?').get(webhook.accountId)!.n);
      if (count >= maxPerAccount) return 'limit_reached';
      try {
        this.#db
          .prepare(`INSERT INTO webhooks (${WEBHOOK_INSERT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
          .run(...(webhookInsertValues(webhook) as SQLInputValue[]));
        return 'created';
      } catch (error) {
        if (isUniqueViolation(error, 'webhooks.id')) return 'id_taken';
        throw error;
      }
    });
  }

  async findWebhook(accountId: string, id: string): Promise<WebhookRecord | undefined> {
    const row = this.#db.prepare('SELECT * FROM webhooks WHERE account_id = ? AND id = ?').get(accountId, id);
    return row && webhookFromRow(row);
  }

  async listWebhooks(accountId: string, query: WebhookQuery): Promise<WebhookRecord[]> {
    const where = ['account_id = ?'];
    const params: SQLInputValue[] = [accountId];
    if (query.status) {
      where.push('status = ?');
      params.push(query.status);
    }
    if (query.subscribedToAny) {
      where.push('EXISTS (SELECT 1 FROM json_each(webhooks.events) WHERE value IN (SELECT value FROM json_each(?)))');
      params.push(JSON.stringify(query.subscribedToAny));
    }
    if (query.beforeSeq !== undefined) {
      where.push('seq < ?');
      params.push(query.beforeSeq);
    }
    params.push(query.limit);
    const rows = this.#db
      .prepare(`SELECT * FROM webhooks WHERE ${where.join(' AND ')} ORDER BY seq DESC LIMIT ?`)
      .all(...params);
    return rows.map(webhookFromRow);
  }

  async updateWebhook(accountId: string, id: string, changes: WebhookChanges): Promise<UpdateWebhookResult> {
    const { columns, values } = webhookAssignments(changes);
    const assignments = columns.map((column) => `${column} = ?`);
    try {
      const row = this.#db
        .prepare(`UPDATE webhooks SET ${[...assignments, 'id = id'].join(', ')} WHERE account_id = ? AND id = ? RETURNING *`)
        .get(...(values as SQLInputValue[]), accountId, id);
      return row ? { outcome: 'updated', webhook: webhookFromRow(row) } : { outcome: 'not_found' };
    } catch (error) {
      if (isUniqueViolation(error, 'webhooks.account_id, webhooks.normalized_url')) return { outcome: 'duplicate_url' };
      throw error;
    }
  }

  async deleteWebhook(accountId: string, id: string): Promise<boolean> {
    const result = this.#db.prepare('DELETE FROM webhooks WHERE account_id = ? AND id = ?').run(accountId, id);
    return Number(result.changes) > 0;
  }
}
