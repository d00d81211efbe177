// The embedded default: one SQLite file through Node's built-in node:sqlite. Its calls are
// synchronous; a transaction holds the connection (other calls wait their turn), and BEGIN IMMEDIATE
// makes it atomic against other processes on the same file too.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type SQLInputValue, type SQLOutputValue, type StatementSync } from 'node:sqlite';
import type { Dialect, Row, SqlExecutor, UniqueConstraint } from './sql.ts';

export const sqliteDialect: Dialect = {
  name: 'sqlite',
  modifyingCte: false,
  lock: async () => undefined,
  lockRows: () => '',
  isIn: (column, param) => `${column} IN (SELECT value FROM json_each(${param}))`,
  overlaps: (column, param) =>
    `EXISTS (SELECT 1 FROM json_each(${column}) WHERE value IN (SELECT value FROM json_each(${param})))`,
  table: (param, alias, columns) =>
    `(SELECT ${columns.map(([name]) => `value ->> '${name}' AS ${name}`).join(', ')} FROM json_each(${param})) AS ${alias}`,
  tableExists: "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = $1",
  isUniqueViolation: (error, constraint) =>
    error instanceof Error && error.message.includes(`UNIQUE constraint failed: ${UNIQUE_COLUMNS[constraint]}`),
};

/** SQLite names a failed unique constraint by its columns. */
const UNIQUE_COLUMNS: Record<UniqueConstraint, string> = {
  webhook_id: 'webhooks.id',
  webhook_url: 'webhooks.account_id, webhooks.normalized_url',
};

/** `$n` placeholders as SQLite's numbered `?n`. */
const sqlitePlaceholders = (sql: string) => sql.replace(/\$(\d+)/g, '?$1');

const bind = (params: readonly unknown[]): SQLInputValue[] =>
  params.map((value) =>
    typeof value === 'boolean'
      ? Number(value)
      : Array.isArray(value)
        ? JSON.stringify(value)
        : (value as SQLInputValue),
  );

interface Prepared {
  statement: StatementSync;
  toRow: (values: SQLOutputValue[]) => Row;
}

export class SqliteExecutor implements SqlExecutor {
  readonly dialect = sqliteDialect;
  readonly #db: DatabaseSync;
  // Compiling SQL costs more than running these statements: each text is prepared once.
  readonly #statements = new Map<string, Prepared>();
  // While a transaction holds the connection, other calls queue here (first come, first served).
  #held = false;
  readonly #waiting: (() => void)[] = [];
  readonly #inTransaction: SqlExecutor;

  constructor(file: string) {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    this.#db = new DatabaseSync(file);
    this.#db.exec(`
      PRAGMA journal_mode = WAL;
      PRAGMA synchronous = NORMAL;
      PRAGMA busy_timeout = 5000;
      PRAGMA foreign_keys = ON;
    `);
    this.#inTransaction = {
      dialect: sqliteDialect,
      all: async (sql, params = []) => {
        const { statement, toRow } = this.#prepare(sql);
        return (statement.all(...bind(params)) as unknown as SQLOutputValue[][]).map(toRow);
      },
      get: async (sql, params = []) => {
        const { statement, toRow } = this.#prepare(sql);
        const values = statement.get(...bind(params)) as unknown as SQLOutputValue[] | undefined;
        return values && toRow(values);
      },
      run: async (sql, params = []) => Number(this.#prepare(sql).statement.run(...bind(params)).changes),
      script: async (sql) => this.#db.exec(sql),
      transaction: (work) => work(this.#inTransaction),
    };
  }

  get isOpen(): boolean {
    return this.#db.isOpen;
  }

  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }

  #prepare(sql: string): Prepared {
    let prepared = this.#statements.get(sql);
    if (!prepared) {
      const statement = this.#db.prepare(sqlitePlaceholders(sql));
      // Rows come back as arrays and become objects here: node:sqlite's own row objects are built
      // without a prototype, which V8 keeps as dictionaries, slow to read (a profile showed it).
      statement.setReturnArrays(true);
      const names = statement.columns().map((column) => column.name);
      const toRow = (values: SQLOutputValue[]): Row => {
        const row: Row = {};
        for (let index = 0; index < names.length; index += 1) row[names[index]!] = values[index];
        return row;
      };
      prepared = { statement, toRow };
      this.#statements.set(sql, prepared);
    }
    return prepared;
  }

  async #acquire(): Promise<void> {
    if (!this.#held) {
      this.#held = true;
      return;
    }
    await new Promise<void>((resolve) => this.#waiting.push(resolve));
  }

  #release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#held = false;
  }

  /** One statement outside a transaction: at once when the connection is free, else in turn. */
  async #alone<T>(statement: () => Promise<T>): Promise<T> {
    if (!this.#held) return statement();
    await this.#acquire();
    try {
      return await statement();
    } finally {
      this.#release();
    }
  }

  all(sql: string, params?: readonly unknown[]): Promise<Row[]> {
    return this.#alone(() => this.#inTransaction.all(sql, params));
  }

  get(sql: string, params?: readonly unknown[]): Promise<Row | undefined> {
    return this.#alone(() => this.#inTransaction.get(sql, params));
  }

  run(sql: string, params?: readonly unknown[]): Promise<number> {
    return this.#alone(() => this.#inTransaction.run(sql, params));
  }

  script(sql: string): Promise<void> {
    return this.#alone(() => this.#inTransaction.script(sql));
  }

  async transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    await this.#acquire();
    try {
      this.#db.exec('BEGIN IMMEDIATE');
      try {
        const result = await work(this.#inTransaction);
        this.#db.exec('COMMIT');
        return result;
      } catch (error) {
        this.#db.exec('ROLLBACK');
        throw error;
      }
    } finally {
      this.#release();
    }
  }
}
