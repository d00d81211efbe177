// Versioned schema migrations. One text per version, written once for both dialects: only the column
// types differ. Append only: a released migration never changes what it creates.
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

type Dialect = 'sqlite' | 'postgres';

const TYPES: Record<Dialect, { time: string; serialKey: string; json: string; clustered: string }> = {
  // Epoch milliseconds; an auto-increment key (insertion order, the keyset of pagination); JSON; a
  // table stored as its primary key alone where the dialect can (SQLite: one B-tree, not two).
  sqlite: { time: 'INTEGER', serialKey: 'INTEGER PRIMARY KEY AUTOINCREMENT', json: 'TEXT', clustered: 'WITHOUT ROWID' },
  postgres: { time: 'BIGINT', serialKey: 'BIGSERIAL PRIMARY KEY', json: 'JSONB', clustered: '' },
};

function migrationsFor(dialect: Dialect): Migration[] {
  const { time, serialKey, json, clustered } = TYPES[dialect];
  return [
    {
      version: 1,
      name: 'accounts, keys, webhooks, request admission',
      sql: `
        CREATE TABLE accounts (
          id TEXT PRIMARY KEY,
          name TEXT NOT NULL UNIQUE,
          created_at ${time} NOT NULL
        );
        CREATE TABLE api_keys (
          id TEXT PRIMARY KEY,
          account_id TEXT NOT NULL REFERENCES accounts(id),
          sealed_secret TEXT NOT NULL,
          scopes ${json} NOT NULL,
          created_at ${time} NOT NULL,
          revoked_at ${time}
        );
        CREATE TABLE webhooks (
          seq ${serialKey},
          id TEXT NOT NULL UNIQUE,
          account_id TEXT NOT NULL REFERENCES accounts(id),
          url TEXT NOT NULL,
          normalized_url TEXT NOT NULL,
          events ${json} NOT NULL,
          description TEXT,
          balance_low_threshold TEXT,
          status TEXT NOT NULL,
          consecutive_failures INTEGER NOT NULL,
          last_delivery_at ${time},
          last_success_at ${time},
          created_at ${time} NOT NULL,
          sealed_secret TEXT NOT NULL,
          CONSTRAINT webhooks_account_url UNIQUE (account_id, normalized_url)
        );
        CREATE INDEX webhooks_account_seq ON webhooks (account_id, seq);
        CREATE TABLE seen_signatures (
          signature TEXT PRIMARY KEY,
          expires_at ${time} NOT NULL
        );
        CREATE INDEX seen_signatures_expiry ON seen_signatures (expires_at);
        CREATE TABLE weight_charges (
          key_id TEXT NOT NULL,
          at ${time} NOT NULL,
          weight INTEGER NOT NULL
        );
        CREATE INDEX weight_charges_key_at ON weight_charges (key_id, at);
      `,
    },
    {
      version: 2,
      name: 'events, delivery jobs and attempts, secret rotation, balance alerts',
      sql: `
        ALTER TABLE webhooks ADD COLUMN previous_sealed_secret TEXT;
        ALTER TABLE webhooks ADD COLUMN previous_secret_expires_at ${time};
        ALTER TABLE webhooks ADD COLUMN failing_since ${time};
        CREATE TABLE events (
          seq ${serialKey},
          id TEXT NOT NULL UNIQUE,
          account_id TEXT NOT NULL REFERENCES accounts(id),
          type TEXT NOT NULL,
          data ${json} NOT NULL,
          created_at ${time} NOT NULL
        );
        CREATE TABLE delivery_jobs (
          id ${serialKey},
          event_id TEXT NOT NULL REFERENCES events(id),
          webhook_id TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
          state TEXT NOT NULL,
          trigger TEXT NOT NULL,
          attempts INTEGER NOT NULL,
          next_attempt_at ${time} NOT NULL,
          lease_until ${time},
          created_at ${time} NOT NULL
        );
        CREATE INDEX delivery_jobs_due ON delivery_jobs (state, next_attempt_at);
        CREATE INDEX delivery_jobs_webhook ON delivery_jobs (webhook_id, state);
        CREATE TABLE delivery_attempts (
          seq ${serialKey},
          id TEXT NOT NULL UNIQUE,
          webhook_id TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
          event_id TEXT NOT NULL,
          type TEXT NOT NULL,
          attempt INTEGER NOT NULL,
          trigger TEXT NOT NULL,
          status TEXT NOT NULL,
          response_status INTEGER,
          latency_ms INTEGER,
          response_body TEXT,
          error TEXT,
          error_class TEXT,
          created_at ${time} NOT NULL,
          next_attempt_at ${time}
        );
        CREATE INDEX delivery_attempts_webhook_seq ON delivery_attempts (webhook_id, seq);
        CREATE INDEX delivery_attempts_event ON delivery_attempts (webhook_id, event_id);
        CREATE TABLE balance_alerts (
          webhook_id TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
          asset TEXT NOT NULL,
          below BOOLEAN NOT NULL,
          PRIMARY KEY (webhook_id, asset)
        );
      `,
    },
    {
      version: 3,
      name: 'weight budgets counted in one-second buckets',
      // The per-charge log made every request sum up to a minute of charges; sixty buckets bound it.
      sql: `
        DROP TABLE weight_charges;
        CREATE TABLE weight_buckets (
          key_id TEXT NOT NULL,
          bucket ${time} NOT NULL,
          weight INTEGER NOT NULL,
          PRIMARY KEY (key_id, bucket)
        );
      `,
    },
    {
      version: 4,
      name: 'master key canary',
      // One row, sealed with the master key by the first start after this migration: a process with
      // another key finds out at start, before it seals new secrets the others cannot open.
      sql: `
        CREATE TABLE key_canary (
          id INTEGER PRIMARY KEY CHECK (id = 1),
          sealed TEXT NOT NULL,
          created_at ${time} NOT NULL
        );
      `,
    },
    {
      version: 5,
      name: 'fenced delivery leases',
      // Each claim bumps a job's lease version; only the holder of the current version may renew or
      // complete it, so a worker whose lease was taken over can never overwrite the new holder's work.
      // The second index serves the in-flight counts that cap claims per webhook and per account.
      sql: `
        ALTER TABLE delivery_jobs ADD COLUMN lease_version INTEGER NOT NULL DEFAULT 0;
        CREATE INDEX delivery_jobs_leases ON delivery_jobs (state, lease_until);
      `,
    },
    {
      version: 6,
      name: 'fair claims and per-endpoint rate limits',
      // Claims find every webhook with pending jobs by a skip scan of this index, then take each
      // one's earliest due jobs; a webhook's optional rate limit counts its starts per second.
      sql: `
        CREATE INDEX delivery_jobs_pending ON delivery_jobs (state, webhook_id, next_attempt_at);
        ALTER TABLE webhooks ADD COLUMN rate_limit INTEGER;
        CREATE TABLE webhook_starts (
          webhook_id TEXT NOT NULL,
          second ${time} NOT NULL,
          started INTEGER NOT NULL,
          PRIMARY KEY (webhook_id, second)
        );
      `,
    },
    {
      version: 7,
      name: 'due jobs in claim order',
      // A claim takes each webhook's earliest due jobs ordered by (next_attempt_at, id): with that
      // order in the index it reads a few index entries, not a sort of the webhook's whole backlog
      // (SQLite's indexes end with the rowid already; PostgreSQL's do not). Both indexes a planner
      // may pick for it (one leads with the state for the skip scan, one with the webhook for its
      // deletes) carry the order, so the cheap plan does not hang on fresh statistics. The old
      // (state, next_attempt_at) index served claims before they went per webhook; nothing reads it
      // now, and every job's every state change paid for it.
      sql: `
        DROP INDEX delivery_jobs_due;
        DROP INDEX delivery_jobs_pending;
        CREATE INDEX delivery_jobs_pending ON delivery_jobs (state, webhook_id, next_attempt_at, id);
        DROP INDEX delivery_jobs_webhook;
        CREATE INDEX delivery_jobs_webhook ON delivery_jobs (webhook_id, state, next_attempt_at, id);
      `,
    },
    {
      version: 8,
      name: 'seen signatures keyed by their timestamp',
      // Every signed request inserts a signature: keyed by (signed_at, signature), that is one
      // near-append to one B-tree rather than a random insert into a table, its key index and an
      // expiry index, and pruning is a range at the front of the key. Unique all the same: the
      // signature covers the timestamp, so a replay has the same signed_at, whatever window the
      // process that sees it is configured with. Rows copied from before keep their expiry as
      // their time: kept a window longer than needed, never shorter.
      sql: `
        CREATE TABLE seen_signatures_by_time (
          signed_at ${time} NOT NULL,
          signature TEXT NOT NULL,
          PRIMARY KEY (signed_at, signature)
        ) ${clustered};
        INSERT INTO seen_signatures_by_time (signed_at, signature) SELECT expires_at, signature FROM seen_signatures;
        DROP TABLE seen_signatures;
        ALTER TABLE seen_signatures_by_time RENAME TO seen_signatures;
      `,
    },
    {
      version: 9,
      name: 'attempts keep their request and response headers; events by account and time',
      // The body is not kept: it is the event's envelope, the same bytes on every attempt. Test
      // deliveries' events are marked: recovery and the events list pass over them. Recovery, the
      // events list and retention read events by account and time; an event's deliveries are read
      // by its id (and retention asks whether a job still refers to it).
      sql: `
        ALTER TABLE delivery_attempts ADD COLUMN request_url TEXT;
        ALTER TABLE delivery_attempts ADD COLUMN request_headers ${json};
        ALTER TABLE delivery_attempts ADD COLUMN response_headers ${json};
        ALTER TABLE events ADD COLUMN test BOOLEAN NOT NULL DEFAULT FALSE;
        CREATE INDEX events_account_created ON events (account_id, created_at, id);
        CREATE INDEX events_account_seq ON events (account_id, seq);
        CREATE INDEX events_created ON events (created_at);
        CREATE INDEX delivery_attempts_created ON delivery_attempts (created_at);
        CREATE INDEX delivery_attempts_event_id ON delivery_attempts (event_id);
        CREATE INDEX delivery_jobs_event ON delivery_jobs (event_id);
      `,
    },
  ];
}

export const sqliteMigrations = migrationsFor('sqlite');
export const postgresMigrations = migrationsFor('postgres');
