// Accounts and their API keys, and the keyring's proof of the master key.
import type { AccountRepository, KeyringRepository } from '../../domain/ports.ts';
import type { AccountRecord, ApiKeyRecord, NewApiKey } from '../../domain/records.ts';
import { apiKeyFromRow } from '../rows.ts';
import { SqlRepository } from '../sql.ts';

const KEY_WITH_ACCOUNT = 'SELECT k.*, a.name AS account_name FROM api_keys k JOIN accounts a ON a.id = k.account_id';

export class SqlAccounts extends SqlRepository implements AccountRepository {
  async ensure(account: AccountRecord): Promise<AccountRecord> {
    await this.db.run('INSERT INTO accounts (id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING', [
      account.id,
      account.name,
      account.createdAt,
    ]);
    return (await this.findByName(account.name))!;
  }

  async findByName(name: string): Promise<AccountRecord | undefined> {
    const row = await this.db.get('SELECT id, name, created_at FROM accounts WHERE name = $1', [name]);
    return row && { id: row.id as string, name: row.name as string, createdAt: Number(row.created_at) };
  }

  async insertKey(key: NewApiKey): Promise<void> {
    await this.db.run(
      'INSERT INTO api_keys (id, account_id, sealed_secret, scopes, created_at) VALUES ($1, $2, $3, $4, $5)',
      [key.id, key.accountId, key.sealedSecret, JSON.stringify(key.scopes), key.createdAt],
    );
  }

  async findKey(id: string): Promise<ApiKeyRecord | undefined> {
    const row = await this.db.get(`${KEY_WITH_ACCOUNT} WHERE k.id = $1`, [id]);
    return row && apiKeyFromRow(row);
  }

  async listKeys(accountName?: string): Promise<ApiKeyRecord[]> {
    const rows =
      accountName === undefined
        ? await this.db.all(`${KEY_WITH_ACCOUNT} ORDER BY k.created_at, k.id`)
        : await this.db.all(`${KEY_WITH_ACCOUNT} WHERE a.name = $1 ORDER BY k.created_at, k.id`, [accountName]);
    return rows.map(apiKeyFromRow);
  }

  async revokeKey(id: string, at: number): Promise<boolean> {
    return (
      (await this.db.run('UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL', [at, id])) > 0
    );
  }

  async replaceKeySecret(id: string, sealedSecret: string): Promise<boolean> {
    const changed = await this.db.run('UPDATE api_keys SET sealed_secret = $1 WHERE id = $2 AND revoked_at IS NULL', [
      sealedSecret,
      id,
    ]);
    return changed > 0;
  }

  async countKeys(): Promise<number> {
    return Number((await this.db.get('SELECT COUNT(*) AS n FROM api_keys'))!.n);
  }
}

export class SqlKeyring extends SqlRepository implements KeyringRepository {
  async readCanary(): Promise<string | undefined> {
    const row = await this.db.get('SELECT sealed FROM key_canary WHERE id = 1');
    return row?.sealed as string | undefined;
  }

  async writeCanary(sealed: string, at: number): Promise<string> {
    await this.db.run(
      'INSERT INTO key_canary (id, sealed, created_at) VALUES (1, $1, $2) ON CONFLICT (id) DO NOTHING',
      [sealed, at],
    );
    return (await this.readCanary())!;
  }

  async sampleSealedSecrets(limit: number): Promise<string[]> {
    const rows = await this.db.all(
      `SELECT sealed_secret FROM (SELECT sealed_secret FROM api_keys ORDER BY created_at DESC LIMIT $1) AS k
       UNION ALL SELECT sealed_secret FROM (SELECT sealed_secret FROM webhooks ORDER BY seq DESC LIMIT $1) AS w`,
      [limit],
    );
    return rows.map((row) => row.sealed_secret as string);
  }
}
