// The scale-out store: PostgreSQL through `pg`, shared by any number of API and worker processes.
// Cross-process atomicity comes from row locks and advisory locks inside transactions. This file is
// the connection side: the pool, transactions (retried when PostgreSQL aborts one for a deadlock or
// a serialization conflict) and telling "the database is unreachable" apart from a failed statement.
import pg from 'pg';
import type { Logger } from 'pino';
import { StoreUnavailableError } from '../domain/errors.ts';
import type { Dialect, Row, SqlExecutor, UniqueConstraint } from './sql.ts';

/** How often a transaction aborted by a deadlock or serialization conflict is tried in all. */
const TRANSACTION_ATTEMPTS = 4;
const INT8_OID = 20;
// BIGINT columns (and counts) hold epoch milliseconds and sequence numbers, all below 2^53.
const types = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === INT8_OID
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

export const postgresDialect: Dialect = {
  name: 'postgres',
  modifyingCte: true,
  async lock(tx, name) {
    await tx.run('SELECT pg_advisory_xact_lock(hashtext($1))', [`pipai:${name}`]);
  },
  lockRows: (mode, of, skipLocked) =>
    ` FOR ${mode.toUpperCase()}${of ? ` OF ${of}` : ''}${skipLocked ? ' SKIP LOCKED' : ''}`,
  isIn: (column, param, type) => `${column} = ANY(${param}::${type}[])`,
  overlaps: (column, param) => `${column} ?| ${param}::text[]`,
  table: (param, alias, columns) =>
    `jsonb_to_recordset(${param}::jsonb) AS ${alias}(${columns.map(([name, type]) => `${name} ${type}`).join(', ')})`,
  tableExists: 'SELECT 1 FROM pg_tables WHERE schemaname = current_schema() AND tablename = $1',
  isUniqueViolation: (error, constraint) =>
    (error as { code?: string }).code === '23505' &&
    (error as { constraint?: string }).constraint === CONSTRAINT_NAMES[constraint],
};

/** The migrations' names for the unique constraints the repositories tell apart. */
const CONSTRAINT_NAMES: Record<UniqueConstraint, string> = {
  webhook_id: 'webhooks_id_key',
  webhook_url: 'webhooks_account_url',
};

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

export interface PostgresOptions {
  maxConnections?: number;
  connectTimeoutMs?: number;
  /** Where dropped connections are reported (a connection ending while idle is not an error of any call). */
  logger?: Pick<Logger, 'warn'>;
}

type Queryable = Pick<pg.Pool, 'query'>;

/** Statements on one client (a transaction's) or on the pool (each on whichever connection is free). */
const executorOn = (target: Queryable, transaction: SqlExecutor['transaction']): SqlExecutor => {
  const query = async (sql: string, params: readonly unknown[] = []) =>
    target.query(sql, params as unknown[]).catch((error: unknown) => {
      throw unavailableOr(error);
    });
  return {
    dialect: postgresDialect,
    all: async (sql, params) => (await query(sql, params)).rows as Row[],
    get: async (sql, params) => (await query(sql, params)).rows[0] as Row | undefined,
    run: async (sql, params) => (await query(sql, params)).rowCount ?? 0,
    // Without parameters pg uses the simple query protocol, which runs several statements.
    script: async (sql) => {
      await target.query(sql).catch((error: unknown) => {
        throw unavailableOr(error);
      });
    },
    transaction,
  };
};

export class PostgresExecutor implements SqlExecutor {
  readonly dialect = postgresDialect;
  readonly #pool: pg.Pool;
  readonly #logger: Pick<Logger, 'warn'> | undefined;
  readonly #onPool: SqlExecutor;

  constructor(connectionString: string, options: PostgresOptions = {}) {
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
    this.#onPool = executorOn(this.#pool, (work) => this.transaction(work));
  }

  #dropped(error: Error): void {
    this.#logger?.warn(
      { reason: error.message, code: (error as { code?: string }).code },
      'database connection lost; dropped from the pool',
    );
  }

  close(): Promise<void> {
    return this.#pool.end();
  }

  all(sql: string, params?: readonly unknown[]): Promise<Row[]> {
    return this.#onPool.all(sql, params);
  }

  get(sql: string, params?: readonly unknown[]): Promise<Row | undefined> {
    return this.#onPool.get(sql, params);
  }

  run(sql: string, params?: readonly unknown[]): Promise<number> {
    return this.#onPool.run(sql, params);
  }

  script(sql: string): Promise<void> {
    return this.#onPool.script(sql);
  }

  /**
   * Runs `work` in a transaction. One that PostgreSQL aborted to break a deadlock or a serialization
   * conflict is run again (a few times, briefly apart): the conflict was timing, not the request.
   */
  async transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
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

  async #transactionOnce<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
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
      const tx: SqlExecutor = executorOn(client, (inner) => inner(tx));
      const result = await work(tx);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      const cause = error instanceof StoreUnavailableError ? error.cause : error;
      if (lost || isDatabaseUnreachable(cause)) broken = lost ?? (cause as Error);
      else await client.query('ROLLBACK').catch(() => undefined);
      throw unavailableOr(cause);
    } finally {
      client.removeListener('error', onError);
      if (lost) this.#dropped(lost);
      // A broken connection is not returned to the pool.
      client.release(broken);
    }
  }
}
