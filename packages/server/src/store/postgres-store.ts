// The scale-out store: PostgreSQL through `pg`, shared by any number of API (and worker) processes.
// Cross-process atomicity comes from row locks and advisory locks inside transactions.
import pg from 'pg';
import type { Logger } from 'pino';
import { chooseFairly } from '../domain/claim-policy.ts';
import { settleAttempt, type WebhookHealth } from '../domain/delivery-rules.ts';
import { StoreUnavailableError } from '../domain/errors.ts';
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
  startsToCount,
} from './claim-sql.ts';
import { postgresMigrations } from './migrations.ts';
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

const CANDIDATES = candidatesSql('postgres');
/** How often a transaction aborted by a deadlock or serialization conflict is tried in all. */
const TRANSACTION_ATTEMPTS = 4;

/** Completions ordered by webhook id: the order in which a batch locks webhook rows. */
const byWebhook = (completed: readonly CompletedDelivery[]) =>
  [...completed].sort((a, b) =>
    a.attempt.webhookId < b.attempt.webhookId ? -1 : a.attempt.webhookId > b.attempt.webhookId ? 1 : 0,
  );
const INT8_OID = 20;
// BIGINT columns hold epoch milliseconds and sequence numbers, all below 2^53.
const types = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === INT8_OID
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

const isUniqueViolation = (error: unknown, constraint: string) =>
  (error as { code?: string; constraint?: string }).code === '23505' &&
  (error as { constraint?: string }).constraint === constraint;

// The server is going away, restarting or refusing connections for a moment: admin_shutdown,
// crash_shutdown, cannot_connect_now, too_many_connections, and every connection exception (08xxx).
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);
const UNREACHABLE_NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
// What pg and pg-pool say, without a code, when a connection ends or cannot be had in time.
const UNREACHABLE_MESSAGES =
  /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error and is not queryable)/;

/** Whether a pg error means "the database cannot be reached now" rather than "this statement failed". */
export function isDatabaseUnreachable(error: unknown): boolean {
  if (error instanceof AggregateError && error.errors.some(isDatabaseUnreachable)) return true; // every address refused
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (
    typeof code === 'string' &&
    (UNAVAILABLE_SQLSTATES.has(code) || code.startsWith('08') || UNREACHABLE_NETWORK_CODES.has(code))
  )
    return true;
  return typeof message === 'string' && UNREACHABLE_MESSAGES.test(message);
}

const unavailableOr = (error: unknown): unknown =>
  isDatabaseUnreachable(error) ? new StoreUnavailableError(error) : error;

/** A failed connection is noticed in this long rather than when the operating system gives up. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;

export interface PostgresStoreOptions {
  maxConnections?: number;
  connectTimeoutMs?: number;
  /** Where dropped connections are reported (a connection ending while idle is not an error of any call). */
  logger?: Pick<Logger, 'warn'>;
}

export class PostgresStore implements Store {
  readonly kind = 'postgres';
  readonly #pool: pg.Pool;
  readonly #logger: Pick<Logger, 'warn'> | undefined;

  constructor(connectionString: string, options: PostgresStoreOptions = {}) {
    this.#logger = options.logger;
    this.#pool = new pg.Pool({
      connectionString,
      types,
      max: options.maxConnections ?? 10,
      connectionTimeoutMillis: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    });
    // An idle pooled connection that the server ends (a restart, `pg_ctl stop`) is reported here;
    // pg-pool has already dropped it. Without a listener the process would die of it.
    this.#pool.on('error', (error) => this.#dropped(error));
    // A connection can also fail while checked out, between the listeners the pool and our
    // transactions attach (a server shutting down mid-query): one listener for its whole life means
    // such an 'error' is never unhandled. It stays silent: the pool's listener above, or the query or
    // transaction that fails with it, already reports it.
    this.#pool.on('connect', (client) => {
      client.on('error', () => undefined);
    });
  }

  #dropped(error: Error): void {
    this.#logger?.warn(
      { reason: error.message, code: (error as { code?: string }).code },
      'database connection lost; dropped from the pool',
    );
  }

  /** Every statement outside a transaction goes through here, so that unreachability is told apart once. */
  async #query(text: string, values?: unknown[]): Promise<pg.QueryResult> {
    try {
      return await this.#pool.query(text, values);
    } catch (error) {
      throw unavailableOr(error);
    }
  }

  /**
   * Runs `work` in a transaction. One that PostgreSQL aborted to break a deadlock or a serialization
   * conflict is run again (a few times, briefly apart): the conflict was timing, not the request.
   */
  async #transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.#transactionOnce(work);
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (attempt >= TRANSACTION_ATTEMPTS || (code !== '40P01' && code !== '40001')) throw error;
        await new Promise((resolve) => setTimeout(resolve, 5 * attempt * Math.random()));
      }
    }
  }

  async #transactionOnce<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (error) {
      throw unavailableOr(error);
    }
    // A checked-out client has no pool listener: its connection dying would otherwise be unhandled.
    let lost: Error | undefined;
    const onError = (error: Error) => {
      lost ??= error;
    };
    client.on('error', onError);
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      if (lost || isDatabaseUnreachable(error)) broken = lost ?? (error as Error);
      else await client.query('ROLLBACK').catch(() => undefined);
      throw unavailableOr(error);
    } finally {
      client.removeListener('error', onError);
      if (lost) this.#dropped(lost);
      // A broken connection is not returned to the pool.
      client.release(broken);
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

  async pendingMigrations(): Promise<number[]> {
    let applied = new Set<number>();
    try {
      const { rows } = await this.#query('SELECT version FROM schema_migrations');
      applied = new Set(rows.map((row) => Number(row.version)));
    } catch (error) {
      if ((error as { code?: string }).code !== '42P01') throw error; // undefined_table: never migrated
    }
    return postgresMigrations.map((migration) => migration.version).filter((version) => !applied.has(version));
  }

  async readKeyCanary(): Promise<string | undefined> {
    const { rows } = await this.#query('SELECT sealed FROM key_canary WHERE id = 1');
    return rows[0]?.sealed;
  }

  async writeKeyCanary(sealed: string, at: number): Promise<string> {
    await this.#query(
      'INSERT INTO key_canary (id, sealed, created_at) VALUES (1, $1, $2) ON CONFLICT (id) DO NOTHING',
      [sealed, at],
    );
    return (await this.readKeyCanary())!;
  }

  async sampleSealedSecrets(limit: number): Promise<string[]> {
    const { rows } = await this.#query(
      `(SELECT sealed_secret FROM api_keys ORDER BY created_at DESC LIMIT $1)
       UNION ALL (SELECT sealed_secret FROM webhooks ORDER BY seq DESC LIMIT $1)`,
      [limit],
    );
    return rows.map((row) => row.sealed_secret as string);
  }

  async ensureAccount(account: AccountRecord): Promise<AccountRecord> {
    await this.#query('INSERT INTO accounts (id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING', [
      account.id,
      account.name,
      account.createdAt,
    ]);
    return (await this.findAccountByName(account.name))!;
  }

  async findAccountByName(name: string): Promise<AccountRecord | undefined> {
    const { rows } = await this.#query('SELECT id, name, created_at FROM accounts WHERE name = $1', [name]);
    const row = rows[0];
    return row && { id: row.id, name: row.name, createdAt: row.created_at };
  }

  async insertApiKey(key: NewApiKey): Promise<void> {
    await this.#query(
      'INSERT INTO api_keys (id, account_id, sealed_secret, scopes, created_at) VALUES ($1, $2, $3, $4, $5)',
      [key.id, key.accountId, key.sealedSecret, JSON.stringify(key.scopes), key.createdAt],
    );
  }

  async findApiKey(id: string): Promise<ApiKeyRecord | undefined> {
    const { rows } = await this.#query(
      'SELECT k.*, a.name AS account_name FROM api_keys k JOIN accounts a ON a.id = k.account_id WHERE k.id = $1',
      [id],
    );
    return rows[0] && apiKeyFromRow(rows[0]);
  }

  async listApiKeys(accountName?: string): Promise<ApiKeyRecord[]> {
    const { rows } = await this.#query(
      `SELECT k.*, a.name AS account_name FROM api_keys k JOIN accounts a ON a.id = k.account_id
       WHERE $1::text IS NULL OR a.name = $1 ORDER BY k.created_at, k.id`,
      [accountName ?? null],
    );
    return rows.map(apiKeyFromRow);
  }

  async revokeApiKey(id: string, at: number): Promise<boolean> {
    const result = await this.#query('UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL', [
      at,
      id,
    ]);
    return (result.rowCount ?? 0) > 0;
  }

  async countApiKeys(): Promise<number> {
    const { rows } = await this.#query('SELECT COUNT(*)::int AS n FROM api_keys');
    return rows[0].n;
  }

  async rememberSignature(signature: string, expiresAt: number, now: number): Promise<boolean> {
    const { rows } = await this.#query(
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
      const { rows } = await client.query(
        `WITH expired AS (DELETE FROM weight_buckets WHERE key_id = $1 AND bucket <= $2)
         SELECT bucket, weight FROM weight_buckets WHERE key_id = $1 AND bucket > $2 ORDER BY bucket`,
        [keyId, lastExpiredBucket(now, budget.windowMs)],
      );
      const charges = rows.map((row) => ({ at: (row.bucket as number) * BUCKET_MS, weight: row.weight as number }));
      const used = charges.reduce((sum, charge) => sum + charge.weight, 0);
      if (used + weight > budget.budget) {
        return { admitted: false, used, retryAfterMs: retryAfterMs(charges, weight, now, budget) };
      }
      await client.query(
        `INSERT INTO weight_buckets (key_id, bucket, weight) VALUES ($1, $2, $3)
         ON CONFLICT (key_id, bucket) DO UPDATE SET weight = weight_buckets.weight + EXCLUDED.weight`,
        [keyId, bucketOf(now), weight],
      );
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
      const { rows } = await client.query('SELECT COUNT(*)::int AS n FROM webhooks WHERE account_id = $1', [
        webhook.accountId,
      ]);
      if (rows[0].n >= maxPerAccount) return 'limit_reached';
      await client.query('SAVEPOINT insert_webhook');
      try {
        await client.query(
          `INSERT INTO webhooks (${WEBHOOK_INSERT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
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
    const { rows } = await this.#query('SELECT * FROM webhooks WHERE account_id = $1 AND id = $2', [accountId, id]);
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
    const { rows } = await this.#query(
      `SELECT * FROM webhooks WHERE ${where.join(' AND ')} ORDER BY seq DESC LIMIT $${params.length}`,
      params,
    );
    return rows.map(webhookFromRow);
  }

  async updateWebhook(accountId: string, id: string, changes: WebhookChanges): Promise<UpdateWebhookResult> {
    const { columns, values } = webhookAssignments(changes);
    const assignments = columns.map((column, index) => `${column} = $${index + 3}`);
    try {
      return await this.#transaction(async (client) => {
        const { rows } = await client.query(
          `UPDATE webhooks SET ${[...assignments, 'id = id'].join(', ')} WHERE account_id = $1 AND id = $2 RETURNING *`,
          [accountId, id, ...values],
        );
        if (!rows[0]) return { outcome: 'not_found' as const };
        // A new threshold starts its crossings afresh.
        if (changes.balanceLowThreshold !== undefined)
          await client.query('DELETE FROM balance_alerts WHERE webhook_id = $1', [id]);
        return { outcome: 'updated' as const, webhook: webhookFromRow(rows[0]) };
      });
    } catch (error) {
      if (isUniqueViolation(error, 'webhooks_account_url')) return { outcome: 'duplicate_url' };
      throw error;
    }
  }

  async deleteWebhook(accountId: string, id: string): Promise<boolean> {
    const result = await this.#query('DELETE FROM webhooks WHERE account_id = $1 AND id = $2', [accountId, id]);
    return (result.rowCount ?? 0) > 0;
  }

  async rotateWebhookSecret(
    accountId: string,
    id: string,
    sealedSecret: string,
    previousExpiresAt: number,
  ): Promise<WebhookRecord | undefined> {
    const { rows } = await this.#query(
      `UPDATE webhooks SET previous_sealed_secret = sealed_secret, previous_secret_expires_at = $1, sealed_secret = $2
       WHERE account_id = $3 AND id = $4 RETURNING *`,
      [previousExpiresAt, sealedSecret, accountId, id],
    );
    return rows[0] && webhookFromRow(rows[0]);
  }

  async updateApiKeySecret(id: string, sealedSecret: string): Promise<boolean> {
    const result = await this.#query('UPDATE api_keys SET sealed_secret = $1 WHERE id = $2 AND revoked_at IS NULL', [
      sealedSecret,
      id,
    ]);
    return (result.rowCount ?? 0) > 0;
  }

  async #insertEventRow(client: pg.PoolClient, event: EventRecord): Promise<void> {
    await client.query('INSERT INTO events (id, account_id, type, data, created_at) VALUES ($1, $2, $3, $4, $5)', [
      event.id,
      event.accountId,
      event.type,
      JSON.stringify(event.data),
      event.createdAt,
    ]);
  }

  async #insertJob(
    run: (text: string, values: unknown[]) => Promise<unknown>,
    eventId: string,
    webhookId: string,
    trigger: 'event' | 'redelivery',
    now: number,
  ): Promise<void> {
    await run(
      `INSERT INTO delivery_jobs (event_id, webhook_id, state, trigger, attempts, next_attempt_at, created_at)
       VALUES ($1, $2, 'pending', $3, 0, $4, $4)`,
      [eventId, webhookId, trigger, now],
    );
  }

  async insertEvent(event: EventRecord, deliverTo: (activeWebhooks: WebhookRecord[]) => string[]): Promise<string[]> {
    return this.#transaction(async (client) => {
      await this.#insertEventRow(client, event);
      const { rows } = await client.query(
        "SELECT * FROM webhooks WHERE account_id = $1 AND status = 'active' ORDER BY seq",
        [event.accountId],
      );
      const webhookIds = deliverTo(rows.map(webhookFromRow));
      if (webhookIds.length > 0) {
        await client.query(
          `INSERT INTO delivery_jobs (event_id, webhook_id, state, trigger, attempts, next_attempt_at, created_at)
           SELECT $1, webhook_id, 'pending', 'event', 0, $2, $2 FROM unnest($3::text[]) AS webhook_id`,
          [event.id, event.createdAt, webhookIds],
        );
      }
      return webhookIds;
    });
  }

  async findEvent(accountId: string, id: string): Promise<EventRecord | undefined> {
    const { rows } = await this.#query('SELECT * FROM events WHERE account_id = $1 AND id = $2', [accountId, id]);
    return rows[0] && eventFromRow(rows[0]);
  }

  async listActiveWebhooks(accountId: string): Promise<WebhookRecord[]> {
    const { rows } = await this.#query(
      "SELECT * FROM webhooks WHERE account_id = $1 AND status = 'active' ORDER BY seq",
      [accountId],
    );
    return rows.map(webhookFromRow);
  }

  async recordBalanceCrossings(asset: string, crossings: readonly BalanceCrossing[]): Promise<EventRecord[]> {
    return this.#transaction(async (client) => {
      const published: EventRecord[] = [];
      for (const crossing of crossings) {
        // The row lock (or the insert's) serializes concurrent reports for the same webhook and asset.
        await client.query(
          'INSERT INTO balance_alerts (webhook_id, asset, below) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
          [crossing.webhookId, asset, !crossing.below],
        );
        const { rows } = await client.query(
          'SELECT below FROM balance_alerts WHERE webhook_id = $1 AND asset = $2 FOR UPDATE',
          [crossing.webhookId, asset],
        );
        const wasBelow = rows[0].below as boolean;
        await client.query('UPDATE balance_alerts SET below = $3 WHERE webhook_id = $1 AND asset = $2', [
          crossing.webhookId,
          asset,
          crossing.below,
        ]);
        if (crossing.below && !wasBelow) {
          await this.#insertEventRow(client, crossing.event);
          await this.#insertJob(
            (text, values) => client.query(text, values),
            crossing.event.id,
            crossing.webhookId,
            'event',
            crossing.event.createdAt,
          );
          published.push(crossing.event);
        }
      }
      return published;
    });
  }

  async claimDeliveries(now: number, options: ClaimOptions): Promise<ClaimedDelivery[]> {
    return this.#transaction(async (client) => {
      // One claim at a time across workers, so the in-flight caps it counts hold exactly.
      await client.query("SELECT pg_advisory_xact_lock(hashtext('pipai:delivery-claims'))");
      const second = secondOf(now);
      const { rows: candidateRows } = await client.query(CANDIDATES, [
        now,
        options.perWebhook,
        Math.max(256, options.limit * 8),
        options.perAccount,
      ]);
      const { rows: inFlightRows } = await client.query(IN_FLIGHT_SQL, [now]);
      // Start counts matter only to rate-limited endpoints: most claims have none and skip both trips.
      const rateLimited = hasRateLimit(candidateRows, inFlightRows);
      if (rateLimited) await client.query(FORGET_STARTS_SQL, [second]);
      const { rows: startRows } = rateLimited ? await client.query(STARTS_SQL, [second]) : { rows: [] };
      const candidates = candidateRows.map(candidateFromRow);
      const endpoints = endpointStates(candidateRows, inFlightRows, startRows);
      const chosen = chooseFairly(candidates, endpoints, options);
      if (chosen.length === 0) return [];
      await client.query(
        "UPDATE delivery_jobs SET state = 'in_flight', lease_until = $1, lease_version = lease_version + 1 WHERE id = ANY($2::bigint[])",
        [now + options.leaseMs, chosen],
      );
      for (const [webhookId, started] of startsToCount(chosen, candidates, endpoints)) {
        await client.query(COUNT_STARTS_SQL, [webhookId, second, started]);
      }
      const { rows } = await client.query(
        `SELECT ${CLAIMED_COLUMNS} FROM delivery_jobs j JOIN events e ON e.id = j.event_id JOIN webhooks w ON w.id = j.webhook_id
         WHERE j.id = ANY($1::bigint[])`,
        [chosen],
      );
      const order = new Map(chosen.map((id, index) => [id, index]));
      return rows.map(claimedFromRow).sort((a, b) => order.get(a.jobId)! - order.get(b.jobId)!);
    });
  }

  async #insertAttempt(client: pg.PoolClient, attempt: NewAttempt): Promise<AttemptRecord> {
    const { rows: counted } = await client.query(
      'SELECT COUNT(*)::int AS n FROM delivery_attempts WHERE webhook_id = $1 AND event_id = $2',
      [attempt.webhookId, attempt.eventId],
    );
    const { rows } = await client.query(
      `INSERT INTO delivery_attempts (${ATTEMPT_INSERT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING *`,
      attemptInsertValues({ ...attempt, attempt: counted[0].n + 1 }),
    );
    return attemptFromRow(rows[0]);
  }

  /**
   * Set-based: one statement per step for the whole batch (locks, fence, attempt numbers, attempts,
   * webhooks, jobs), not per outcome, so a batch costs about as many round trips as one outcome did.
   * Each webhook's outcomes are settled in order (delivery-rules.ts), its health carried from one to
   * the next, exactly as one transaction per outcome would have.
   */
  async completeDeliveries(completed: readonly CompletedDelivery[]): Promise<CompletionResult[]> {
    if (completed.length === 0) return [];
    return this.#transaction(async (client) => {
      const ordered = byWebhook(completed);
      const webhookIds = [...new Set(ordered.map((one) => one.attempt.webhookId))];
      // Webhooks first, in id order, then jobs: the order every transaction touching both takes.
      // NO KEY UPDATE: it must not wait on (or deadlock with) the KEY SHARE locks that inserting
      // delivery jobs takes through their foreign key.
      const { rows: webhookRows } = await client.query(
        'SELECT id, status, consecutive_failures, failing_since FROM webhooks WHERE id = ANY($1::text[]) ORDER BY id FOR NO KEY UPDATE',
        [webhookIds],
      );
      const { rows: heldRows } = await client.query(
        `SELECT j.id FROM delivery_jobs j JOIN unnest($1::bigint[], $2::int[]) AS held(id, lease)
           ON j.id = held.id AND j.lease_version = held.lease ORDER BY j.id FOR UPDATE OF j`,
        [ordered.map((one) => one.jobId), ordered.map((one) => one.lease)],
      );
      const pairs = [
        ...new Map(ordered.map((one) => [`${one.attempt.webhookId} ${one.attempt.eventId}`, one.attempt])).values(),
      ];
      const { rows: countRows } = await client.query(
        `SELECT a.webhook_id, a.event_id, COUNT(*)::int AS n FROM delivery_attempts a
           JOIN unnest($1::text[], $2::text[]) AS pair(webhook_id, event_id) ON a.webhook_id = pair.webhook_id AND a.event_id = pair.event_id
         GROUP BY a.webhook_id, a.event_id`,
        [pairs.map((attempt) => attempt.webhookId), pairs.map((attempt) => attempt.eventId)],
      );

      const health = new Map<string, WebhookHealth>(
        webhookRows.map((row) => [
          row.id as string,
          { status: row.status, consecutiveFailures: row.consecutive_failures, failingSince: row.failing_since },
        ]),
      );
      const held = new Set(heldRows.map((row) => Number(row.id)));
      const attemptsSoFar = new Map(countRows.map((row) => [`${row.webhook_id} ${row.event_id}`, row.n as number]));
      const webhookWrites = new Map<string, { lastDeliveryAt: number; lastSuccessAt: number | null }>();
      const broke = new Set<string>();
      const attempts: { record: Omit<AttemptRecord, 'seq'>; broke: boolean }[] = [];
      const jobs: { id: number; lease: number; state: string; next: number | null }[] = [];
      const results = new Map<CompletedDelivery, CompletionResult | number>();
      for (const one of ordered) {
        const { attempt } = one;
        const current = health.get(attempt.webhookId);
        if (!current) {
          results.set(one, { outcome: 'webhook_deleted' });
          continue;
        }
        if (!held.has(one.jobId)) {
          results.set(one, { outcome: 'lease_lost' });
          continue;
        }
        const settlement = settleAttempt(current, {
          succeeded: attempt.status === 'succeeded',
          gone: one.gone,
          now: attempt.createdAt,
          brokenAfterMs: one.brokenAfterMs,
          retryAt: one.retryAt,
        });
        const { status, consecutiveFailures, failingSince, lastSuccessAt } = settlement.health;
        health.set(attempt.webhookId, { status, consecutiveFailures, failingSince });
        const write = webhookWrites.get(attempt.webhookId);
        webhookWrites.set(attempt.webhookId, {
          lastDeliveryAt: Math.max(write?.lastDeliveryAt ?? 0, attempt.createdAt),
          lastSuccessAt: lastSuccessAt ?? write?.lastSuccessAt ?? null,
        });
        if (settlement.health.broke) broke.add(attempt.webhookId);
        const key = `${attempt.webhookId} ${attempt.eventId}`;
        const number = (attemptsSoFar.get(key) ?? 0) + 1;
        attemptsSoFar.set(key, number);
        results.set(one, attempts.length);
        attempts.push({
          record: { ...attempt, nextAttemptAt: settlement.nextAttemptAt, attempt: number },
          broke: settlement.health.broke,
        });
        jobs.push({ id: one.jobId, lease: one.lease, state: settlement.jobState, next: settlement.nextAttemptAt });
      }

      const inserted = new Map<string, AttemptRecord>();
      if (attempts.length > 0) {
        const values = attempts.map(({ record }) => attemptInsertValues(record));
        const { rows } = await client.query(
          `INSERT INTO delivery_attempts (${ATTEMPT_INSERT_COLUMNS})
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::text[], $7::text[], $8::int[],
             $9::int[], $10::text[], $11::text[], $12::text[], $13::bigint[], $14::bigint[])
           RETURNING *`,
          values[0]!.map((_, column) => values.map((row) => row[column])),
        );
        for (const row of rows) inserted.set(row.id as string, attemptFromRow(row));
        const written = [...webhookWrites];
        await client.query(
          `UPDATE webhooks w SET status = u.status, consecutive_failures = u.failures, failing_since = u.failing_since,
             last_delivery_at = u.last_delivery_at, last_success_at = COALESCE(u.last_success_at, w.last_success_at)
           FROM unnest($1::text[], $2::text[], $3::int[], $4::bigint[], $5::bigint[], $6::bigint[])
             AS u(id, status, failures, failing_since, last_delivery_at, last_success_at)
           WHERE w.id = u.id`,
          [
            written.map(([id]) => id),
            written.map(([id]) => health.get(id)!.status),
            written.map(([id]) => health.get(id)!.consecutiveFailures),
            written.map(([id]) => health.get(id)!.failingSince),
            written.map(([, write]) => write.lastDeliveryAt),
            written.map(([, write]) => write.lastSuccessAt),
          ],
        );
        await client.query(
          `UPDATE delivery_jobs j SET state = u.state, attempts = j.attempts + 1, next_attempt_at = COALESCE(u.next, j.next_attempt_at),
             lease_until = NULL
           FROM unnest($1::bigint[], $2::int[], $3::text[], $4::bigint[]) AS u(id, lease, state, next)
           WHERE j.id = u.id AND j.lease_version = u.lease`,
          [
            jobs.map((job) => job.id),
            jobs.map((job) => job.lease),
            jobs.map((job) => job.state),
            jobs.map((job) => job.next),
          ],
        );
      }
      // A broken webhook's pending deliveries stop.
      if (broke.size > 0) {
        await client.query(
          "UPDATE delivery_jobs SET state = 'cancelled' WHERE webhook_id = ANY($1::text[]) AND state IN ('pending', 'in_flight')",
          [[...broke]],
        );
      }
      return completed.map((one): CompletionResult => {
        const result = results.get(one)!;
        if (typeof result !== 'number') return result;
        const { record, broke: webhookBroke } = attempts[result]!;
        return { outcome: 'recorded', attempt: inserted.get(record.id)!, webhookBroke };
      });
    });
  }

  async renewLeases(leases: readonly HeldLease[], until: number): Promise<number[]> {
    if (leases.length === 0) return [];
    const { rows } = await this.#query(
      `UPDATE delivery_jobs j SET lease_until = $1 FROM unnest($2::bigint[], $3::int[]) AS held(id, lease)
       WHERE j.id = held.id AND j.lease_version = held.lease AND j.state = 'in_flight' RETURNING j.id`,
      [until, leases.map((held) => held.jobId), leases.map((held) => held.lease)],
    );
    return rows.map((row) => Number(row.id));
  }

  async recordTestAttempt(event: EventRecord, attempt: NewAttempt): Promise<AttemptRecord> {
    return this.#transaction(async (client) => {
      await this.#insertEventRow(client, event);
      return this.#insertAttempt(client, attempt);
    });
  }

  async enqueueRedelivery(webhookId: string, eventId: string, now: number): Promise<void> {
    await this.#insertJob((text, values) => this.#query(text, values), eventId, webhookId, 'redelivery', now);
  }

  async listAttempts(accountId: string, webhookId: string, query: AttemptQuery): Promise<AttemptRecord[]> {
    const params: unknown[] = [accountId, webhookId];
    const where = ['w.account_id = $1', 'a.webhook_id = $2'];
    for (const [column, value] of [
      ['a.status', query.status],
      ['a.type', query.type],
      ['a.event_id', query.eventId],
      ['a.seq <', query.beforeSeq],
    ] as const) {
      if (value !== undefined) {
        params.push(value);
        where.push(`${column}${column.endsWith('<') ? '' : ' ='} $${params.length}`);
      }
    }
    params.push(query.limit);
    const { rows } = await this.#query(
      `SELECT a.* FROM delivery_attempts a JOIN webhooks w ON w.id = a.webhook_id WHERE ${where.join(' AND ')} ORDER BY a.seq DESC LIMIT $${params.length}`,
      params,
    );
    return rows.map(attemptFromRow);
  }

  async findAttempt(accountId: string, webhookId: string, attemptId: string): Promise<AttemptRecord | undefined> {
    const { rows } = await this.#query(
      'SELECT a.* FROM delivery_attempts a JOIN webhooks w ON w.id = a.webhook_id WHERE w.account_id = $1 AND a.webhook_id = $2 AND a.id = $3',
      [accountId, webhookId, attemptId],
    );
    return rows[0] && attemptFromRow(rows[0]);
  }

  async countUnfinishedDeliveries(): Promise<number> {
    const { rows } = await this.#query(
      "SELECT COUNT(*)::int AS n FROM delivery_jobs WHERE state IN ('pending', 'in_flight')",
    );
    return rows[0].n;
  }

  async queueStats(now: number): Promise<QueueStats> {
    const { rows: due } = await this.#query(
      `SELECT COUNT(*)::int AS n, MIN(j.next_attempt_at) AS oldest FROM delivery_jobs j JOIN webhooks w ON w.id = j.webhook_id
       WHERE j.state = 'pending' AND j.next_attempt_at <= $1 AND (w.status = 'active' OR j.trigger = 'redelivery')`,
      [now],
    );
    const { rows: running } = await this.#query(
      `SELECT w.account_id, COUNT(*)::int AS n FROM delivery_jobs j JOIN webhooks w ON w.id = j.webhook_id
       WHERE j.state = 'in_flight' AND j.lease_until >= $1 GROUP BY w.account_id`,
      [now],
    );
    return {
      due: due[0].n,
      oldestDueAt: due[0].oldest === null ? null : Number(due[0].oldest),
      inFlightByAccount: Object.fromEntries(running.map((row) => [row.account_id as string, row.n as number])),
    };
  }
}
