// The two adapters, opened fresh for a test: SQLite in a temp file, PostgreSQL in a new database.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase } from '@pipai/testkit/postgres';
import { inject } from 'vitest';
import { openPostgresStore, openSqliteStore, type Store } from '../../src/store/store.ts';
import '@pipai/testkit/vitest-context';

export interface OpenedStore {
  store: Store;
  /** Where the data lives, for tests that look at it directly. */
  location: string;
  dispose(): Promise<void>;
}

export const STORE_KINDS = ['sqlite', 'postgres'] as const;
export type StoreKind = (typeof STORE_KINDS)[number];

/** `postgresUrl`: open a second store on an existing database, as a second server process would. */
export async function openTestStore(kind: StoreKind, postgresUrl?: string): Promise<OpenedStore> {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'pipai-sqlite-'));
    const file = join(dir, 'pipai.sqlite');
    const store = openSqliteStore(file);
    await store.migrate();
    return {
      store,
      location: file,
      async dispose() {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const url = postgresUrl ?? (await createDatabase(inject('postgresUrl')));
  const store = openPostgresStore(url, { maxConnections: 20 });
  await store.migrate();
  return { store, location: url, dispose: () => store.close() };
}
