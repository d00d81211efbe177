// Chooses the adapter: PostgreSQL when a DATABASE_URL is configured, else the embedded SQLite file.
import { join } from 'node:path';
import type { Logger } from 'pino';
import { PostgresStore } from './postgres-store.ts';
import { SqliteStore } from './sqlite-store.ts';
import type { Store } from './store.ts';

export function openStore(
  options: { databaseUrl?: string | undefined; dataDir: string },
  logger?: Pick<Logger, 'warn'>,
): Store {
  return options.databaseUrl
    ? new PostgresStore(options.databaseUrl, logger ? { logger } : {})
    : new SqliteStore(join(options.dataDir, 'pipai.sqlite'));
}
