// First-start conveniences of the embedded setup, and the rules that keep them out of production:
// a generated master key only with SQLite, dev credentials only into an empty embedded store.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import { generateMasterKey, parseMasterKey } from './crypto/secret-box.ts';
import type { AccountService } from './domain/accounts.ts';
import type { Store } from './store/store.ts';

export const DEV_CREDENTIALS_FILE = 'dev-credentials.json';

export function resolveMasterKey(config: Config, logger: Logger): Buffer {
  if (config.masterKey) return parseMasterKey(config.masterKey);
  if (config.databaseUrl) {
    throw new Error('PIPAI_MASTER_KEY is required with DATABASE_URL: every process sharing the database needs the same key.');
  }
  const file = join(config.dataDir, 'master.key');
  if (!existsSync(file)) {
    mkdirSync(config.dataDir, { recursive: true });
    writeFileSync(file, `${generateMasterKey()}\n`, { mode: 0o600, flag: 'wx' });
    logger.warn({ file }, 'generated a master key for encryption at rest; set PIPAI_MASTER_KEY in production');
  }
  return parseMasterKey(readFileSync(file, 'utf8'));
}

/** On the first start of an empty embedded store: a dev account and key, saved 0600 in the data dir. */
export async function createDevCredentials(
  config: Config,
  store: Store,
  accounts: AccountService,
  baseUrl: string,
  logger: Logger,
): Promise<void> {
  if (store.kind !== 'sqlite' || (await store.countApiKeys()) > 0) return;
  const key = await accounts.createKey('dev', ['webhooks:read', 'webhooks:write']);
  const file = join(config.dataDir, DEV_CREDENTIALS_FILE);
  writeFileSync(file, `${JSON.stringify({ base_url: baseUrl, ...key }, null, 2)}\n`, { mode: 0o600 });
  logger.info({ file, api_key: key.api_key, account: key.account }, 'created a dev account and API key; the secret is in the file');
}
