// The schema's versioned migrations, applied once however many processes start at the same time.
import { postgresMigrations, sqliteMigrations } from '../migrations.ts';
import { type SqlExecutor, SqlRepository } from '../sql.ts';

export class Schema extends SqlRepository {
  readonly #migrations = this.db.dialect.name === 'sqlite' ? sqliteMigrations : postgresMigrations;

  /** Applies every pending versioned migration; safe to call from several processes at once. */
  async migrate(): Promise<void> {
    await this.db.transaction(async (tx) => {
      // One process migrates; the others wait here and then find nothing to do.
      await tx.dialect.lock(tx, 'migrations');
      await tx.run(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)',
      );
      const applied = await this.#applied(tx);
      for (const migration of this.#migrations) {
        if (applied.has(migration.version)) continue;
        await tx.script(migration.sql);
        await tx.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
          migration.version,
          migration.name,
          Date.now(),
        ]);
      }
    });
  }

  /** Versions of this build's migrations that the database lacks (none: the schema is at head). */
  async pending(): Promise<number[]> {
    const migrated = await this.db.get(this.db.dialect.tableExists, ['schema_migrations']);
    const applied = migrated ? await this.#applied(this.db) : new Set<number>();
    return this.#migrations.map((migration) => migration.version).filter((version) => !applied.has(version));
  }

  async #applied(db: SqlExecutor): Promise<Set<number>> {
    const rows = await db.all('SELECT version FROM schema_migrations');
    return new Set(rows.map((row) => Number(row.version)));
  }
}
