// `pnpm pipai-admin`: accounts and API keys, on the same data dir / DATABASE_URL as the server.
//   keys create --account NAME --scopes webhooks:read,webhooks:write [--json]
//   keys list [--account NAME] [--json]
//   keys revoke KEY_ID
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { resolveMasterKey } from './bootstrap.ts';
import { loadConfig } from './config.ts';
import { SecretBox } from './crypto/secret-box.ts';
import { AccountService, UsageError } from './domain/accounts.ts';
import { systemClock } from './domain/clock.ts';
import { openStore } from './store/open-store.ts';

const USAGE = `Usage: pipai-admin keys <command> [options]

Commands:
  keys create --account NAME --scopes SCOPES [--json]   create a key (and the account if new); prints the secret once
  keys list [--account NAME] [--json]                   list keys (never secrets)
  keys revoke KEY_ID                                    revoke a key at once

SCOPES is a comma-separated list of webhooks:read, webhooks:write.
Uses PIPAI_DATA_DIR (default .data) or DATABASE_URL and PIPAI_MASTER_KEY, like the server.`;

async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      account: { type: 'string' },
      scopes: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [group, command, ...rest] = positionals;
  if (values.help || group !== 'keys' || !command) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  const config = loadConfig();
  const logger = pino({ level: 'warn' }, pino.destination(2));
  const store = openStore(config);
  try {
    await store.migrate();
    const accounts = new AccountService({ store, secrets: new SecretBox(resolveMasterKey(config, logger)), clock: systemClock });
    switch (command) {
      case 'create': {
        if (!values.account || !values.scopes) throw new UsageError('keys create needs --account and --scopes');
        const key = await accounts.createKey(values.account, values.scopes.split(',').map((scope) => scope.trim()).filter(Boolean));
        if (values.json) console.log(JSON.stringify(key));
        else {
          console.log(`account     ${key.account}\napi_key     ${key.api_key}\napi_secret  ${key.api_secret}\nscopes      ${key.scopes.join(',')}`);
          console.log('\nThe secret is shown only now. Store it securely.');
        }
        return 0;
      }
      case 'list': {
        const keys = (await accounts.listKeys(values.account)).map((key) => ({
          api_key: key.id,
          account: key.accountName,
          scopes: key.scopes,
          created_at: new Date(key.createdAt).toISOString(),
          revoked_at: key.revokedAt === null ? null : new Date(key.revokedAt).toISOString(),
        }));
        if (values.json) console.log(JSON.stringify(keys));
        else for (const key of keys) console.log(`${key.api_key}  ${key.account}  ${key.scopes.join(',')}  ${key.revoked_at ? `revoked ${key.revoked_at}` : 'active'}`);
        return 0;
      }
      case 'revoke': {
        const [keyId] = rest;
        if (!keyId) throw new UsageError('keys revoke needs a KEY_ID');
        if (!(await accounts.revokeKey(keyId))) {
          console.error(`no active key ${keyId}`);
          return 1;
        }
        console.log(`revoked ${keyId}`);
        return 0;
      }
      default:
        throw new UsageError(`unknown command: keys ${command}`);
    }
  } finally {
    await store.close();
  }
}

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(error instanceof UsageError ? `${error.message}\n\n${USAGE}` : `error: ${error.message}`);
    process.exit(error instanceof UsageError || (error as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? 2 : 1);
  },
);
