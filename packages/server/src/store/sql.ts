// The small SQL layer every repository is written on. SQL text is written once, with `$n`
// placeholders, in the SQL both PostgreSQL and SQLite speak; what truly differs between them is
// asked of the Dialect. Parameters are plain values; arrays (id lists, table rows) go as JSON on
// SQLite and as arrays on PostgreSQL, which each executor handles.
export type Row = Record<string, unknown>;

export interface SqlExecutor {
  readonly dialect: Dialect;
  all(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  get(sql: string, params?: readonly unknown[]): Promise<Row | undefined>;
  /** Runs a statement; returns how many rows it changed. */
  run(sql: string, params?: readonly unknown[]): Promise<number>;
  /** Runs several statements without parameters (a migration's DDL). */
  script(sql: string): Promise<void>;
  /** Runs `work` atomically; inside a transaction, `work` joins it. */
  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T>;
}

/** A unique constraint, by what it protects. */
export type UniqueConstraint = 'webhook_id' | 'webhook_url';

export type ColumnType = 'text' | 'int' | 'bigint' | 'bool' | 'jsonb';

export interface Dialect {
  readonly name: 'sqlite' | 'postgres';
  /** INSERT, UPDATE and DELETE may stand in WITH (PostgreSQL), so a write and a read are one statement. */
  readonly modifyingCte: boolean;
  /**
   * Serializes, until the transaction ends, every transaction that takes the same lock. SQLite
   * needs none: each of its write transactions (BEGIN IMMEDIATE) holds the whole file.
   */
  lock(tx: SqlExecutor, name: string): Promise<void>;
  /** Appended to a SELECT to lock its rows until the transaction ends (`of`: the table alias). */
  lockRows(mode: 'update' | 'no key update' | 'key share', of?: string, skipLocked?: boolean): string;
  /** `column` is one of the array parameter `param`'s values. */
  isIn(column: string, param: string, type: 'text' | 'bigint'): string;
  /** The JSON array in `column` holds at least one of the array parameter `param`'s strings. */
  overlaps(column: string, param: string): string;
  /**
   * The JSON parameter `param` (an array of objects) as a table `alias` with these columns: how a
   * batch is written or matched in one statement.
   */
  table(param: string, alias: string, columns: readonly (readonly [string, ColumnType])[]): string;
  isUniqueViolation(error: unknown, constraint: UniqueConstraint): boolean;
  /** A query with one parameter, a table name, that returns a row if the table exists. */
  readonly tableExists: string;
}

/** What every repository is written over: one executor, in or out of a transaction. */
export abstract class SqlRepository {
  protected readonly db: SqlExecutor;

  constructor(db: SqlExecutor) {
    this.db = db;
  }
}

/** Each column of a batch: its type, and how a row gives its value. */
export type BatchColumns<T> = Record<string, readonly [ColumnType, (row: T) => unknown]>;

/**
 * Rows written or matched in one statement: the SQL of the JSON parameter `param` as the table
 * `alias` (see Dialect.table), and the parameter's value.
 */
export function batchOf<T>(
  dialect: Dialect,
  param: string,
  alias: string,
  columns: BatchColumns<T>,
  rows: readonly T[],
): { table: string; value: string } {
  const entries = Object.entries(columns);
  return {
    table: dialect.table(
      param,
      alias,
      entries.map(([name, [type]]) => [name, type] as const),
    ),
    value: JSON.stringify(rows.map((row) => Object.fromEntries(entries.map(([name, [, get]]) => [name, get(row)])))),
  };
}
