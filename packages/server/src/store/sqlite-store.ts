// The embedded default: one SQLite file through Node's built-in node:sqlite. Calls are synchronous,
// so each method's statements run without interleaving inside this process; BEGIN IMMEDIATE makes
// the multi-statement ones atomic against other processes on the same file too.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import { chooseFairly } from '../domain/claim-policy.ts';
import { settleAttempt } from '../domain/delivery-rules.ts';
import {
  COUNT_STARTS_SQL,
  candidateFromRow,
  candidatesSql,
  endpointStates,
  FORGET_STARTS_SQL,
  hasRateLimit,
  IN_FLIGHT_SQL,
  STARTS_SQL,
  secondOf,
  sqlitePlaceholders,
  startsToCount,
} from './claim-sql.ts';
import { sqliteMigrations } from './migrations.ts';
import {
  ATTEMPT_INSERT_COLUMNS,
  apiKeyFromRow,
  attemptFromRow,
  attemptInsertValues,
  CLAIMED_COLUMNS,
  claimedFromRow,
  eventFromRow,
  WEBHOOK_INSERT_COLUMNS,
  webhookAssignments,
  webhookFromRow,
  webhookInsertValues,
} from './rows.ts';
import type {
  AccountRecord,
  ApiKeyRecord,
  AttemptQuery,
  AttemptRecord,
  BalanceCrossing,
  ClaimedDelivery,
  ClaimOptions,
  CompletedDelivery,
  CompletionResult,
  EventRecord,
  HeldLease,
  InsertWebhookResult,
  NewApiKey,
  NewAttempt,
  NewWebhook,
  QueueStats,
  Store,
  UpdateWebhookResult,
  WebhookChanges,
  WebhookQuery,
  WebhookRecord,
  WeightBudget,
  WeightCharge,
} from './store.ts';
import { BUCKET_MS, bucketOf, lastExpiredBucket, retryAfterMs } from './weight-window.ts';

const CANDIDATES = candidatesSql('sqlite');

const isUniqueViolation = (error: unknown, constraintColumns: string) =>
  error instanceof Error && error.message.includes(`UNIQUE constraint failed: ${constraintColumns}`);

export class SqliteStore implements Store {
  readonly kind = 'sqlite';
  readonly #db: DatabaseSync;
  // Compiling SQL costs more than running these statements: each text is prepared once.
  readonly #statements = new Map<string, StatementSync>();

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

  #prepare(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
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
    this.#db.exec(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)',
    );
    this.#transaction(() => {
      const applied = new Set(
        this.#prepare('SELECT version FROM schema_migrations')
          .all()
          .map((row) => Number(row.version)),
      );
      for (const migration of sqliteMigrations) {
        if (applied.has(migration.version)) continue;
        this.#db.exec(migration.sql);
        this.#prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
          migration.version,
          migration.name,
          Date.now(),
        );
      }
    });
  }

  async close(): Promise<void> {
    if (this.#db.isOpen) this.#db.close();
  }

  async pendingMigrations(): Promise<number[]> {
    const table = this.#prepare(
      "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'",
    ).get();
    const applied = new Set(
      table
        ? this.#prepare('SELECT version FROM schema_migrations')
            .all()
            .map((row) => Number(row.version))
        : [],
    );
    return sqliteMigrations.map((migration) => migration.version).filter((version) => !applied.has(version));
  }

  async readKeyCanary(): Promise<string | undefined> {
    const row = this.#prepare('SELECT sealed FROM key_canary WHERE id = 1').get();
    return row?.sealed as string | undefined;
  }

  async writeKeyCanary(sealed: string, at: number): Promise<string> {
    this.#prepare('INSERT INTO key_canary (id, sealed, created_at) VALUES (1, ?, ?) ON CONFLICT (id) DO NOTHING').run(
      sealed,
      at,
    );
    return (await this.readKeyCanary())!;
  }

  async sampleSealedSecrets(limit: number): Promise<string[]> {
    const rows = this.#prepare(
      `SELECT sealed_secret FROM (SELECT sealed_secret FROM api_keys ORDER BY created_at DESC LIMIT ?)
       UNION ALL SELECT sealed_secret FROM (SELECT sealed_secret FROM webhooks ORDER BY seq DESC LIMIT ?)`,
    ).all(limit, limit);
    return rows.map((row) => row.sealed_secret as string);
  }

  async ensureAccount(account: AccountRecord): Promise<AccountRecord> {
    this.#prepare('INSERT INTO accounts (id, name, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING').run(
      account.id,
      account.name,
      account.createdAt,
    );
    return (await this.findAccountByName(account.name))!;
  }

  async findAccountByName(name: string): Promise<AccountRecord | undefined> {
    const row = this.#prepare('SELECT id, name, created_at FROM accounts WHERE name = ?').get(name);
    return row && { id: row.id as string, name: row.name as string, createdAt: Number(row.created_at) };
  }

  async insertApiKey(key: NewApiKey): Promise<void> {
    this.#prepare(
      'INSERT INTO api_keys (id, account_id, sealed_secret, scopes, created_at) VALUES (?, ?, ?, ?, ?)',
    ).run(key.id, key.accountId, key.sealedSecret, JSON.stringify(key.scopes), key.createdAt);
  }

  async findApiKey(id: string): Promise<ApiKeyRecord | undefined> {
    const row = this.#prepare(
      'SELECT k.*, a.name AS account_name FROM api_keys k JOIN accounts a ON a.id = k.account_id WHERE k.id = ?',
    ).get(id);
    return row && apiKeyFromRow(row);
  }

  async listApiKeys(accountName?: string): Promise<ApiKeyRecord[]> {
    const rows = this.#prepare(
      `SELECT k.*, a.name AS account_name FROM api_keys k JOIN accounts a ON a.id = k.account_id
         WHERE ? IS NULL OR a.name = ? ORDER BY k.created_at, k.id`,
    ).all(accountName ?? null, accountName ?? null);
    return rows.map(apiKeyFromRow);
  }

  async revokeApiKey(id: string, at: number): Promise<boolean> {
    const result = this.#prepare('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(at, id);
    return Number(result.changes) > 0;
  }

  async countApiKeys(): Promise<number> {
    return Number(this.#prepare('SELECT COUNT(*) AS n FROM api_keys').get()!.n);
  }

  #lastPrune = 0;

  async rememberSignature(signature: string, expiresAt: number, now: number): Promise<boolean> {
    // Expired entries only take space (the upsert below treats them as absent): prune once a second.
    if (now - this.#lastPrune >= 1000) {
      this.#prepare('DELETE FROM seen_signatures WHERE expires_at < ?').run(now);
      this.#lastPrune = now;
    }
    const result = this.#prepare(
      `INSERT INTO seen_signatures (signature, expires_at) VALUES (?, ?)
         ON CONFLICT (signature) DO UPDATE SET expires_at = excluded.expires_at WHERE seen_signatures.expires_at < ?`,
    ).run(signature, expiresAt, now);
    return Number(result.changes) === 1;
  }

  async spendWeight(keyId: string, weight: number, now: number, budget: WeightBudget): Promise<WeightCharge> {
    return this.#transaction(() => {
      this.#prepare('DELETE FROM weight_buckets WHERE key_id = ? AND bucket <= ?').run(
        keyId,
        lastExpiredBucket(now, budget.windowMs),
      );
      const charges = this.#prepare('SELECT bucket, weight FROM weight_buckets WHERE key_id = ? ORDER BY bucket')
        .all(keyId)
        .map((row) => ({ at: Number(row.bucket) * BUCKET_MS, weight: Number(row.weight) }));
      const used = charges.reduce((sum, charge) => sum + charge.weight, 0);
      if (used + weight > budget.budget) {
        return { admitted: false, used, retryAfterMs: retryAfterMs(charges, weight, now, budget) };
      }
      this.#prepare(
        'INSERT INTO weight_buckets (key_id, bucket, weight) VALUES (?, ?, ?) ON CONFLICT (key_id, bucket) DO UPDATE SET weight = weight + excluded.weight',
      ).run(keyId, bucketOf(now), weight);
      return { admitted: true, used: used + weight, retryAfterMs: 0 };
    });
  }

  async insertWebhook(webhook: NewWebhook, maxPerAccount: number): Promise<InsertWebhookResult> {
    return this.#transaction(() => {
      const duplicate = this.#prepare('SELECT 1 FROM webhooks WHERE account_id = ? AND normalized_url = ?').get(
        webhook.accountId,
        webhook.normalizedUrl,
      );
      if (duplicate) return 'duplicate_url';
      const count = Number(
        this.#prepare('SELECT COUNT(*) AS n FROM webhooks WHERE account_id = ?').get(webhook.accountId)!.n,
      );
      if (count >= maxPerAccount) return 'limit_reached';
      try {
        this.#prepare(
          `INSERT INTO webhooks (${WEBHOOK_INSERT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(...(webhookInsertValues(webhook) as SQLInputValue[]));
        return 'created';
      } catch (error) {
        if (isUniqueViolation(error, 'webhooks.id')) return 'id_taken';
        throw error;
      }
    });
  }

  async findWebhook(accountId: string, id: string): Promise<WebhookRecord | undefined> {
    const row = this.#prepare('SELECT * FROM webhooks WHERE account_id = ? AND id = ?').get(accountId, id);
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
    const rows = this.#prepare(`SELECT * FROM webhooks WHERE ${where.join(' AND ')} ORDER BY seq DESC LIMIT ?`).all(
      ...params,
    );
    return rows.map(webhookFromRow);
  }

  async updateWebhook(accountId: string, id: string, changes: WebhookChanges): Promise<UpdateWebhookResult> {
    const { columns, values } = webhookAssignments(changes);
    const assignments = columns.map((column) => `${column} = ?`);
    try {
      return this.#transaction(() => {
        const row = this.#prepare(
          `UPDATE webhooks SET ${[...assignments, 'id = id'].join(', ')} WHERE account_id = ? AND id = ? RETURNING *`,
        ).get(...(values as SQLInputValue[]), accountId, id);
        if (!row) return { outcome: 'not_found' as const };
        // A new threshold starts its crossings afresh.
        if (changes.balanceLowThreshold !== undefined)
          this.#prepare('DELETE FROM balance_alerts WHERE webhook_id = ?').run(id);
        return { outcome: 'updated' as const, webhook: webhookFromRow(row) };
      });
    } catch (error) {
      if (isUniqueViolation(error, 'webhooks.account_id, webhooks.normalized_url')) return { outcome: 'duplicate_url' };
      throw error;
    }
  }

  async deleteWebhook(accountId: string, id: string): Promise<boolean> {
    const result = this.#prepare('DELETE FROM webhooks WHERE account_id = ? AND id = ?').run(accountId, id);
    return Number(result.changes) > 0;
  }

  async rotateWebhookSecret(
    accountId: string,
    id: string,
    sealedSecret: string,
    previousExpiresAt: number,
  ): Promise<WebhookRecord | undefined> {
    const row = this.#prepare(
      `UPDATE webhooks SET previous_sealed_secret = sealed_secret, previous_secret_expires_at = ?, sealed_secret = ?
         WHERE account_id = ? AND id = ? RETURNING *`,
    ).get(previousExpiresAt, sealedSecret, accountId, id);
    return row && webhookFromRow(row);
  }

  async updateApiKeySecret(id: string, sealedSecret: string): Promise<boolean> {
    const result = this.#prepare('UPDATE api_keys SET sealed_secret = ? WHERE id = ? AND revoked_at IS NULL').run(
      sealedSecret,
      id,
    );
    return Number(result.changes) > 0;
  }

  #insertEventRow(event: EventRecord): void {
    this.#prepare('INSERT INTO events (id, account_id, type, data, created_at) VALUES (?, ?, ?, ?, ?)').run(
      event.id,
      event.accountId,
      event.type,
      JSON.stringify(event.data),
      event.createdAt,
    );
  }

  #insertJob(eventId: string, webhookId: string, trigger: 'event' | 'redelivery', now: number): void {
    this.#prepare(
      `INSERT INTO delivery_jobs (event_id, webhook_id, state, trigger, attempts, next_attempt_at, created_at)
         VALUES (?, ?, 'pending', ?, 0, ?, ?)`,
    ).run(eventId, webhookId, trigger, now, now);
  }

  async insertEvent(event: EventRecord, deliverTo: (activeWebhooks: WebhookRecord[]) => string[]): Promise<string[]> {
    return this.#transaction(() => {
      this.#insertEventRow(event);
      const webhookIds = deliverTo(this.#activeWebhooks(event.accountId));
      for (const webhookId of webhookIds) this.#insertJob(event.id, webhookId, 'event', event.createdAt);
      return webhookIds;
    });
  }

  async findEvent(accountId: string, id: string): Promise<EventRecord | undefined> {
    const row = this.#prepare('SELECT * FROM events WHERE account_id = ? AND id = ?').get(accountId, id);
    return row && eventFromRow(row);
  }

  #activeWebhooks(accountId: string): WebhookRecord[] {
    return this.#prepare("SELECT * FROM webhooks WHERE account_id = ? AND status = 'active' ORDER BY seq")
      .all(accountId)
      .map(webhookFromRow);
  }

  async listActiveWebhooks(accountId: string): Promise<WebhookRecord[]> {
    return this.#activeWebhooks(accountId);
  }

  async recordBalanceCrossings(asset: string, crossings: readonly BalanceCrossing[]): Promise<EventRecord[]> {
    return this.#transaction(() => {
      const published: EventRecord[] = [];
      for (const crossing of crossings) {
        const previous = this.#prepare('SELECT below FROM balance_alerts WHERE webhook_id = ? AND asset = ?').get(
          crossing.webhookId,
          asset,
        );
        this.#prepare(
          'INSERT INTO balance_alerts (webhook_id, asset, below) VALUES (?, ?, ?) ON CONFLICT (webhook_id, asset) DO UPDATE SET below = excluded.below',
        ).run(crossing.webhookId, asset, crossing.below ? 1 : 0);
        if (crossing.below && !(previous && Number(previous.below) === 1)) {
          this.#insertEventRow(crossing.event);
          this.#insertJob(crossing.event.id, crossing.webhookId, 'event', crossing.event.createdAt);
          published.push(crossing.event);
        }
      }
      return published;
    });
  }

  async claimDeliveries(now: number, options: ClaimOptions): Promise<ClaimedDelivery[]> {
    // BEGIN IMMEDIATE makes claims one at a time across processes, so the caps they count hold.
    return this.#transaction(() => {
      const second = secondOf(now);
      const candidateRows = this.#prepare(CANDIDATES).all(
        now,
        options.perWebhook,
        Math.max(256, options.limit * 8),
        options.perAccount,
      );
      const inFlightRows = this.#prepare(sqlitePlaceholders(IN_FLIGHT_SQL)).all(now);
      const rateLimited = hasRateLimit(candidateRows, inFlightRows);
      if (rateLimited) this.#prepare(sqlitePlaceholders(FORGET_STARTS_SQL)).run(second);
      const startRows = rateLimited ? this.#prepare(sqlitePlaceholders(STARTS_SQL)).all(second) : [];
      const candidates = candidateRows.map(candidateFromRow);
      const endpoints = endpointStates(candidateRows, inFlightRows, startRows);
      const chosen = chooseFairly(candidates, endpoints, options);
      if (chosen.length === 0) return [];
      const lease = this.#prepare(
        "UPDATE delivery_jobs SET state = 'in_flight', lease_until = ?, lease_version = lease_version + 1 WHERE id = ?",
      );
      for (const id of chosen) lease.run(now + options.leaseMs, id);
      const countStarts = this.#prepare(sqlitePlaceholders(COUNT_STARTS_SQL));
      for (const [webhookId, started] of startsToCount(chosen, candidates, endpoints))
        countStarts.run(webhookId, second, started);
      const order = new Map(chosen.map((id, index) => [id, index]));
      return this.#prepare(
        `SELECT ${CLAIMED_COLUMNS} FROM delivery_jobs j JOIN events e ON e.id = j.event_id JOIN webhooks w ON w.id = j.webhook_id
         WHERE j.id IN (SELECT value FROM json_each(?))`,
      )
        .all(JSON.stringify(chosen))
        .map(claimedFromRow)
        .sort((a, b) => order.get(a.jobId)! - order.get(b.jobId)!);
    });
  }

  #insertAttempt(attempt: NewAttempt): AttemptRecord {
    const previous = Number(
      this.#prepare('SELECT COUNT(*) AS n FROM delivery_attempts WHERE webhook_id = ? AND event_id = ?').get(
        attempt.webhookId,
        attempt.eventId,
      )!.n,
    );
    const row = this.#prepare(
      `INSERT INTO delivery_attempts (${ATTEMPT_INSERT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
    ).get(...(attemptInsertValues({ ...attempt, attempt: previous + 1 }) as SQLInputValue[]))!;
    return attemptFromRow(row);
  }

  async completeDeliveries(completed: readonly CompletedDelivery[]): Promise<CompletionResult[]> {
    if (completed.length === 0) return [];
    return this.#transaction(() => completed.map((one) => this.#completeOne(one)));
  }

  #completeOne(completed: CompletedDelivery): CompletionResult {
    const { attempt } = completed;
    const webhook = this.#prepare('SELECT status, consecutive_failures, failing_since FROM webhooks WHERE id = ?').get(
      attempt.webhookId,
    );
    if (!webhook) return { outcome: 'webhook_deleted' } as const;
    const held = this.#prepare('SELECT 1 FROM delivery_jobs WHERE id = ? AND lease_version = ?').get(
      completed.jobId,
      completed.lease,
    );
    if (!held) return { outcome: 'lease_lost' } as const;
    const { health, nextAttemptAt, jobState } = settleAttempt(
      {
        status: webhook.status as WebhookRecord['status'],
        consecutiveFailures: Number(webhook.consecutive_failures),
        failingSince: webhook.failing_since === null ? null : Number(webhook.failing_since),
      },
      {
        succeeded: attempt.status === 'succeeded',
        gone: completed.gone,
        now: attempt.createdAt,
        brokenAfterMs: completed.brokenAfterMs,
        retryAt: completed.retryAt,
      },
    );
    const record = this.#insertAttempt({ ...attempt, nextAttemptAt });
    this.#prepare(
      `UPDATE webhooks SET status = ?, consecutive_failures = ?, failing_since = ?, last_delivery_at = ?,
           last_success_at = COALESCE(?, last_success_at) WHERE id = ?`,
    ).run(
      health.status,
      health.consecutiveFailures,
      health.failingSince,
      attempt.createdAt,
      health.lastSuccessAt,
      attempt.webhookId,
    );
    this.#prepare(
      'UPDATE delivery_jobs SET state = ?, attempts = attempts + 1, next_attempt_at = COALESCE(?, next_attempt_at), lease_until = NULL WHERE id = ? AND lease_version = ?',
    ).run(jobState, nextAttemptAt, completed.jobId, completed.lease);
    // A broken webhook's pending deliveries stop.
    if (health.broke) {
      this.#prepare(
        "UPDATE delivery_jobs SET state = 'cancelled' WHERE webhook_id = ? AND state IN ('pending', 'in_flight')",
      ).run(attempt.webhookId);
    }
    return { outcome: 'recorded', attempt: record, webhookBroke: health.broke } as const;
  }

  async renewLeases(leases: readonly HeldLease[], until: number): Promise<number[]> {
    if (leases.length === 0) return [];
    return this.#transaction(() => {
      const renew = this.#prepare(
        "UPDATE delivery_jobs SET lease_until = ? WHERE id = ? AND lease_version = ? AND state = 'in_flight' RETURNING id",
      );
      return leases.flatMap((held) => renew.all(until, held.jobId, held.lease).map((row) => Number(row.id)));
    });
  }

  async recordTestAttempt(event: EventRecord, attempt: NewAttempt): Promise<AttemptRecord> {
    return this.#transaction(() => {
      this.#insertEventRow(event);
      return this.#insertAttempt(attempt);
    });
  }

  async enqueueRedelivery(webhookId: string, eventId: string, now: number): Promise<void> {
    this.#insertJob(eventId, webhookId, 'redelivery', now);
  }

  async listAttempts(accountId: string, webhookId: string, query: AttemptQuery): Promise<AttemptRecord[]> {
    const where = ['w.account_id = ?', 'a.webhook_id = ?'];
    const params: SQLInputValue[] = [accountId, webhookId];
    for (const [column, value] of [
      ['a.status', query.status],
      ['a.type', query.type],
      ['a.event_id', query.eventId],
    ] as const) {
      if (value !== undefined) {
        where.push(`${column} = ?`);
        params.push(value);
      }
    }
    if (query.beforeSeq !== undefined) {
      where.push('a.seq < ?');
      params.push(query.beforeSeq);
    }
    params.push(query.limit);
    return this.#prepare(
      `SELECT a.* FROM delivery_attempts a JOIN webhooks w ON w.id = a.webhook_id WHERE ${where.join(' AND ')} ORDER BY a.seq DESC LIMIT ?`,
    )
      .all(...params)
      .map(attemptFromRow);
  }

  async findAttempt(accountId: string, webhookId: string, attemptId: string): Promise<AttemptRecord | undefined> {
    const row = this.#prepare(
      'SELECT a.* FROM delivery_attempts a JOIN webhooks w ON w.id = a.webhook_id WHERE w.account_id = ? AND a.webhook_id = ? AND a.id = ?',
    ).get(accountId, webhookId, attemptId);
    return row && attemptFromRow(row);
  }

  async countUnfinishedDeliveries(): Promise<number> {
    return Number(
      this.#prepare("SELECT COUNT(*) AS n FROM delivery_jobs WHERE state IN ('pending', 'in_flight')").get()!.n,
    );
  }

  async queueStats(now: number): Promise<QueueStats> {
    const due = this.#prepare(
      `SELECT COUNT(*) AS n, MIN(j.next_attempt_at) AS oldest FROM delivery_jobs j JOIN webhooks w ON w.id = j.webhook_id
       WHERE j.state = 'pending' AND j.next_attempt_at <= ? AND (w.status = 'active' OR j.trigger = 'redelivery')`,
    ).get(now)!;
    const running = this.#prepare(
      `SELECT w.account_id, COUNT(*) AS n FROM delivery_jobs j JOIN webhooks w ON w.id = j.webhook_id
       WHERE j.state = 'in_flight' AND j.lease_until >= ? GROUP BY w.account_id`,
    ).all(now);
    return {
      due: Number(due.n),
      oldestDueAt: due.oldest === null ? null : Number(due.oldest),
      inFlightByAccount: Object.fromEntries(running.map((row) => [row.account_id as string, Number(row.n)])),
    };
  }
}
