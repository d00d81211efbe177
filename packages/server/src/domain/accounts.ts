// Accounts and their API keys, for the admin command and the dev bootstrap.
import type { SecretBox } from '../crypto/secret-box.ts';
import type { ApiKeyRecord, Store } from '../store/store.ts';
import type { Clock } from './clock.ts';
import { newAccountId, newApiKeyId, newApiSecret } from './ids.ts';
import { isScope, SCOPES, type Scope } from './scopes.ts';

export interface IssuedKey {
  account: string;
  api_key: string;
  /** Shown once, here; stored sealed. */
  api_secret: string;
  scopes: Scope[];
}

export class UsageError extends Error {}

export class AccountService {
  readonly #store: Store;
  readonly #secrets: SecretBox;
  readonly #clock: Clock;

  constructor(deps: { store: Store; secrets: SecretBox; clock: Clock }) {
    this.#store = deps.store;
    this.#secrets = deps.secrets;
    this.#clock = deps.clock;
  }

  /** Creates the account if it does not exist yet, and a new key on it. */
  async createKey(accountName: string, scopes: readonly string[]): Promise<IssuedKey> {
    if (!/^[a-z0-9][a-z0-9_-]{0,62}$/.test(accountName)) {
      throw new UsageError('account names are 1-63 characters of a-z, 0-9, _ and -, starting with a letter or digit');
    }
    const unknown = scopes.filter((scope) => !isScope(scope));
    if (unknown.length > 0 || scopes.length === 0) {
      throw new UsageError(`scopes must be a non-empty list of ${SCOPES.join(', ')}${unknown.length ? `; unknown: ${unknown.join(', ')}` : ''}`);
    }
    const now = this.#clock.now();
    const account = await this.#store.ensureAccount({ id: newAccountId(), name: accountName, createdAt: now });
    const apiSecret = newApiSecret();
    const key = { id: newApiKeyId(), accountId: account.id, sealedSecret: this.#secrets.seal(apiSecret), scopes: [...new Set(scopes)], createdAt: now };
    await this.#store.insertApiKey(key);
    return { account: account.name, api_key: key.id, api_secret: apiSecret, scopes: key.scopes as Scope[] };
  }

  listKeys(accountName?: string): Promise<ApiKeyRecord[]> {
    return this.#store.listApiKeys(accountName);
  }

  revokeKey(keyId: string): Promise<boolean> {
    return this.#store.revokeApiKey(keyId, this.#clock.now());
  }
}
