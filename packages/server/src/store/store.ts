// A database as the server uses it: its schema and its repositories, all over one SQL executor.
// `openStore` picks the executor: PostgreSQL when a DATABASE_URL is configured, else the embedded
// SQLite file.
import { join } from 'node:path';
import type { Logger } from 'pino';
import type {
  AccountRepository,
  AdmissionRepository,
  AttemptLog,
  DeliveryQueue,
  EventRepository,
  KeyringRepository,
  RetentionRepository,
  WebhookRepository,
} from '../domain/ports.ts';
import { PostgresExecutor, type PostgresOptions } from './postgres.ts';
import { SqlAccounts, SqlKeyring } from './repositories/accounts.ts';
import { SqlAdmission } from './repositories/admission.ts';
import { SqlAttemptLog } from './repositories/attempt-log.ts';
import { SqlDeliveryQueue } from './repositories/delivery-queue.ts';
import { SqlEvents } from './repositories/events.ts';
import { SqlRetention } from './repositories/retention.ts';
import { Schema } from './repositories/schema.ts';
import { SqlWebhooks } from './repositories/webhooks.ts';
import type { SqlExecutor } from './sql.ts';
import { SqliteExecutor } from './sqlite.ts';

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  readonly schema: Schema;
  readonly keyring: KeyringRepository;
  readonly accounts: AccountRepository;
  readonly admission: AdmissionRepository;
  readonly webhooks: WebhookRepository;
  readonly events: EventRepository;
  readonly queue: DeliveryQueue;
  readonly attempts: AttemptLog;
  readonly retention: RetentionRepository;
  /** Applies every pending migration (the schema's, a shorthand for the common first call). */
  migrate(): Promise<void>;
  close(): Promise<void>;
}

function storeOn(db: SqlExecutor, close: () => Promise<void>): Store {
  const schema = new Schema(db);
  return {
    kind: db.dialect.name,
    schema,
    keyring: new SqlKeyring(db),
    accounts: new SqlAccounts(db),
    admission: new SqlAdmission(db),
    webhooks: new SqlWebhooks(db),
    events: new SqlEvents(db),
    queue: new SqlDeliveryQueue(db),
    attempts: new SqlAttemptLog(db),
    retention: new SqlRetention(db),
    migrate: () => schema.migrate(),
    close,
  };
}

/** The embedded store: one SQLite file (created, with its directory, if missing). */
export function openSqliteStore(file: string): Store {
  const db = new SqliteExecutor(file);
  return storeOn(db, async () => db.close());
}

/** The scale-out store on a PostgreSQL database, shared by any number of processes. */
export function openPostgresStore(connectionString: string, options: PostgresOptions = {}): Store {
  const db = new PostgresExecutor(connectionString, options);
  return storeOn(db, () => db.close());
}

export function openStore(
  options: { databaseUrl?: string | undefined; dataDir: string },
  logger?: Pick<Logger, 'warn'>,
): Store {
  return options.databaseUrl
    ? openPostgresStore(options.databaseUrl, logger ? { logger } : {})
    : openSqliteStore(join(options.dataDir, 'pipai.sqlite'));
}
