// Chooses the adapter: PostgreSQL when a DATABASE_URL is configured, else the embedded SQLite file.
import { join } from 'node:path';
import { PostgresStore } from './postgres-store.ts';
import { SqliteStore } from './sqlite-store.ts';
import type { Store } from './store.ts';

export function openStore(options: { databaseUrl?: string | undefined; dataDir: string }): Store {
  return options.databaseUrl ? new PostgresStore(options.databaseUrl) : new SqliteStore(join(options.dataDir, 'pipai.sqlite'));
}
