// Versioned schema migrations, one list per dialect. Append only: a released migration never changes.
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const sqliteMigrations: Migration[] = [
  {
    version: 1,
    name: 'accounts, keys, webhooks, request admission',
    sql: `
      CREATE TABLE accounts (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        created_at INTEGER NOT NULL
      );
      CREATE TABLE api_keys (
        id TEXT PRIMARY KEY,
        account_id TEXT NOT NULL REFERENCES accounts(id),
        sealed_secret TEXT NOT NULL,
        scopes TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        revoked_at INTEGER
      );
      CREATE TABLE webhooks (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        account_id TEXT NOT NULL REFERENCES accounts(id),
        url TEXT NOT NULL,
        normalized_url TEXT NOT NULL,
        events TEXT NOT NULL,
        description TEXT,
        balance_low_threshold TEXT,
        status TEXT NOT NULL,
        consecutive_failures INTEGER NOT NULL,
        last_delivery_at INTEGER,
        last_success_at INTEGER,
        created_at INTEGER NOT NULL,
        sealed_secret TEXT NOT NULL,
        CONSTRAINT webhooks_account_url UNIQUE (account_id, normalized_url)
      );
      CREATE INDEX webhooks_account_seq ON webhooks (account_id, seq);
      CREATE TABLE seen_signatures (
        signature TEXT PRIMARY KEY,
        expires_at INTEGER NOT NULL
      );
      CREATE INDEX seen_signatures_expiry ON seen_signatures (expires_at);
      CREATE TABLE weight_charges (
        key_id TEXT NOT NULL,
        at INTEGER NOT NULL,
        weight INTEGER NOT NULL
      );
      CREATE INDEX weight_charges_key_at ON weight_charges (key_id, at);
    `,
  },
];

export const postgresMigrations: Migration[] = [
  {
    version: 1,
    name: 'accounts, keys, webhooks, request admission',
    sql: `
      CREATE TABLE accounts (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        created_at BIGINT NOT NULL
      );
      CREATE TABLE api_keys (
        id TEXT PRIMARY KEY,
        account_id TEXT NOT NULL REFERENCES accounts(id),
        sealed_secret TEXT NOT NULL,
        scopes JSONB NOT NULL,
        created_at BIGINT NOT NULL,
        revoked_at BIGINT
      );
      CREATE TABLE webhooks (
        seq BIGSERIAL PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        account_id TEXT NOT NULL REFERENCES accounts(id),
        url TEXT NOT NULL,
        normalized_url TEXT NOT NULL,
        events JSONB NOT NULL,
        description TEXT,
        balance_low_threshold TEXT,
        status TEXT NOT NULL,
        consecutive_failures INTEGER NOT NULL,
        last_delivery_at BIGINT,
        last_success_at BIGINT,
        created_at BIGINT NOT NULL,
        sealed_secret TEXT NOT NULL,
        CONSTRAINT webhooks_account_url UNIQUE (account_id, normalized_url)
      );
      CREATE INDEX webhooks_account_seq ON webhooks (account_id, seq);
      CREATE TABLE seen_signatures (
        signature TEXT PRIMARY KEY,
        expires_at BIGINT NOT NULL
      );
      CREATE INDEX seen_signatures_expiry ON seen_signatures (expires_at);
      CREATE TABLE weight_charges (
        key_id TEXT NOT NULL,
        at BIGINT NOT NULL,
        weight INTEGER NOT NULL
      );
      CREATE INDEX weight_charges_key_at ON weight_charges (key_id, at);
    `,
  },
];
