// The `pipai-admin keys …` commands: one table entry each.
import { UsageError } from '@pipai/contract/command-table';
import { CommandFailure, command, JSON_OPTION } from './context.ts';

export const KEY_COMMANDS = [
  command({
    name: 'keys create',
    usage: ['--account NAME --scopes SCOPES [--json]'],
    summary: ['create a key (and the account if new); prints the secret once'],
    options: { account: { type: 'string' }, scopes: { type: 'string' }, json: JSON_OPTION },
    async run({ accounts, values }) {
      if (!values.account || !values.scopes) throw new UsageError('keys create needs --account and --scopes');
      return accounts.createKey(
        values.account,
        values.scopes
          .split(',')
          .map((scope) => scope.trim())
          .filter(Boolean),
      );
    },
    render: (key) =>
      `account     ${key.account}\napi_key     ${key.api_key}\napi_secret  ${key.api_secret}\nscopes      ${key.scopes.join(',')}` +
      '\n\nThe secret is shown only now. Store it securely.',
  }),
  command({
    name: 'keys list',
    usage: ['[--account NAME] [--json]'],
    summary: ['list keys (never secrets)'],
    options: { account: { type: 'string' }, json: JSON_OPTION },
    run: async ({ accounts, values }) =>
      (await accounts.listKeys(values.account)).map((key) => ({
        api_key: key.id,
        account: key.accountName,
        scopes: key.scopes,
        created_at: new Date(key.createdAt).toISOString(),
        revoked_at: key.revokedAt === null ? null : new Date(key.revokedAt).toISOString(),
      })),
    // No keys, no lines: an empty rendering prints nothing.
    render: (keys) =>
      keys
        .map(
          (key) =>
            `${key.api_key}  ${key.account}  ${key.scopes.join(',')}  ${key.revoked_at ? `revoked ${key.revoked_at}` : 'active'}`,
        )
        .join('\n'),
  }),
  command({
    name: 'keys revoke',
    usage: ['KEY_ID'],
    summary: ['revoke a key at once (emits account.api_key_rotated)'],
    options: {},
    async run({ accounts, args: [keyId] }) {
      if (!keyId) throw new UsageError('keys revoke needs a KEY_ID');
      if (!(await accounts.revokeKey(keyId))) throw new CommandFailure(`no active key ${keyId}`);
      return keyId;
    },
    render: (keyId) => `revoked ${keyId}`,
  }),
  command({
    name: 'keys rotate',
    usage: ['KEY_ID [--json]'],
    summary: ['a new secret for the key, shown once (emits account.api_key_rotated)'],
    options: { json: JSON_OPTION },
    async run({ accounts, args: [keyId] }) {
      if (!keyId) throw new UsageError('keys rotate needs a KEY_ID');
      const key = await accounts.rotateKey(keyId);
      if (!key) throw new CommandFailure(`no active key ${keyId}`);
      return key;
    },
    render: (key) =>
      `api_key     ${key.api_key}\napi_secret  ${key.api_secret}\n\nThe old secret no longer works. Store the new one securely.`,
  }),
];
