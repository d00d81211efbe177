// Accounts and their API keys, for the admin command and the dev bootstrap.
// A bad account name or scope is the caller's wrong words: the CLIs' usage error (exit code 2).
import { UsageError } from '@pipai/contract/command-table';
import type { SecretBox } from '../crypto/secret-box.ts';
import type { Clock } from './clock.ts';
import { newAccountId, newApiKeyId, newApiSecret } from './ids.ts';
import type { AccountRepository } from './ports.ts';
import type { ApiKeyRecord } from './records.ts';
import { isScope, SCOPES, type Scope } from './scopes.ts';

export interface IssuedKey {
  account: string;
  api_key: string;
  /** Shown once, here; stored sealed. */
  api_secret: string;
  scopes: Scope[];
}

export interface KeyChangeListener {
  /** account.api_key_rotated: a key of the account was rotated or revoked. */
  apiKeyChanged(accountId: string, apiKey: string, action: 'rotated' | 'revoked'): Promise<unknown>;
}

export class AccountService {
  readonly #accounts: AccountRepository;
  readonly #secrets: SecretBox;
  readonly #clock: Clock;
  readonly #events: KeyChangeListener | undefined;

  constructor(deps: { accounts: AccountRepository; secrets: SecretBox; clock: Clock; events?: KeyChangeListener }) {
    this.#accounts = deps.accounts;
    this.#secrets = deps.secrets;
    this.#clock = deps.clock;
    this.#events = deps.events;
  }

  /** Creates the account if it does not exist yet, and a new key on it. */
  async createKey(accountName: string, scopes: readonly string[]): Promise<IssuedKey> {
    if (!/^[a-z0-9][a-z0-9_-]{0,62}$/.test(accountName)) {
      throw new UsageError('account names are 1-63 characters of a-z, 0-9, _ and -, starting with a letter or digit');
    }
    const unknown = scopes.filter((scope) => !isScope(scope));
    if (unknown.length > 0 || scopes.length === 0) {
      throw new UsageError(
        `scopes must be a non-empty list of ${SCOPES.join(', ')}${unknown.length ? `; unknown: ${unknown.join(', ')}` : ''}`,
      );
    }
    const now = this.#clock.now();
    const account = await this.#accounts.ensure({ id: newAccountId(), name: accountName, createdAt: now });
    const apiSecret = newApiSecret();
    const key = {
      id: newApiKeyId(),
      accountId: account.id,
      sealedSecret: this.#secrets.seal(apiSecret),
      scopes: [...new Set(scopes)] as Scope[],
      createdAt: now,
    };
    await this.#accounts.insertKey(key);
    return { account: account.name, api_key: key.id, api_secret: apiSecret, scopes: key.scopes };
  }

  listKeys(accountName?: string): Promise<ApiKeyRecord[]> {
    return this.#accounts.listKeys(accountName);
  }

  async revokeKey(keyId: string): Promise<boolean> {
    const key = await this.#accounts.findKey(keyId);
    if (!key || !(await this.#accounts.revokeKey(keyId, this.#clock.now()))) return false;
    await this.#events?.apiKeyChanged(key.accountId, keyId, 'revoked');
    return true;
  }

  /** A new secret for the same key id, shown once; the old secret stops working at once. */
  async rotateKey(keyId: string): Promise<IssuedKey | undefined> {
    const key = await this.#accounts.findKey(keyId);
    if (!key || key.revokedAt !== null) return undefined;
    const apiSecret = newApiSecret();
    if (!(await this.#accounts.replaceKeySecret(keyId, this.#secrets.seal(apiSecret)))) return undefined;
    await this.#events?.apiKeyChanged(key.accountId, keyId, 'rotated');
    return { account: key.accountName, api_key: keyId, api_secret: apiSecret, scopes: key.scopes };
  }
}
