// `pnpm pipai-admin`: accounts and API keys, on the same data dir / DATABASE_URL as the server.
//   keys create --account NAME --scopes webhooks:read,webhooks:write [--json]
//   keys list [--account NAME] [--json]
//   keys revoke KEY_ID | keys rotate KEY_ID
//   events emit --account NAME --type TYPE --data JSON
//   events balance --account NAME --asset ASSET --available DECIMAL
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { exitCannotStart, openDatabase } from './bootstrap.ts';
import { type Config, loadConfig } from './config.ts';
import { AccountService, UsageError } from './domain/accounts.ts';
import { systemClock } from './domain/clock.ts';
import { ApiError } from './domain/errors.ts';
import { EventService } from './domain/event-service.ts';
import { validatePayload } from './services.ts';

const USAGE = `Usage: pipai-admin <keys|events> <command> [options]

Commands:
  keys create --account NAME --scopes SCOPES [--json]   create a key (and the account if new); prints the secret once
  keys list [--account NAME] [--json]                   list keys (never secrets)
  keys revoke KEY_ID                                    revoke a key at once (emits account.api_key_rotated)
  keys rotate KEY_ID [--json]                           a new secret for the key, shown once (emits account.api_key_rotated)
  events emit --account NAME --type TYPE --data JSON    publish an event, as PipAI's services do
  events balance --account NAME --asset ASSET --available DECIMAL
                                                        report a balance (derives account.balance_low)

SCOPES is a comma-separated list of webhooks:read, webhooks:write.
Uses PIPAI_DATA_DIR (default .data) or DATABASE_URL and PIPAI_MASTER_KEY, like the server.`;

async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      account: { type: 'string' },
      scopes: { type: 'string' },
      type: { type: 'string' },
      data: { type: 'string' },
      asset: { type: 'string' },
      available: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [group, command, ...rest] = positionals;
  if (values.help || (group !== 'keys' && group !== 'events') || !command) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  const logger = pino({ level: 'warn' }, pino.destination(2));
  let config: Config | undefined;
  let opened: Awaited<ReturnType<typeof openDatabase>>;
  try {
    config = loadConfig();
    opened = await openDatabase(config, logger);
  } catch (error) {
    return exitCannotStart(error, config);
  }
  const { store, secrets } = opened;
  try {
    const events = new EventService({
      accounts: store.accounts,
      webhooks: store.webhooks,
      events: store.events,
      clock: systemClock,
      validatePayload,
    });
    const accounts = new AccountService({ accounts: store.accounts, secrets, clock: systemClock, events });
    if (group === 'events') return await runEvents(events, command, values);
    switch (command) {
      case 'create': {
        if (!values.account || !values.scopes) throw new UsageError('keys create needs --account and --scopes');
        const key = await accounts.createKey(
          values.account,
          values.scopes
            .split(',')
            .map((scope) => scope.trim())
            .filter(Boolean),
        );
        if (values.json) console.log(JSON.stringify(key));
        else {
          console.log(
            `account     ${key.account}\napi_key     ${key.api_key}\napi_secret  ${key.api_secret}\nscopes      ${key.scopes.join(',')}`,
          );
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
        else
          for (const key of keys)
            console.log(
              `${key.api_key}  ${key.account}  ${key.scopes.join(',')}  ${key.revoked_at ? `revoked ${key.revoked_at}` : 'active'}`,
            );
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
      case 'rotate': {
        const [keyId] = rest;
        if (!keyId) throw new UsageError('keys rotate needs a KEY_ID');
        const key = await accounts.rotateKey(keyId);
        if (!key) {
          console.error(`no active key ${keyId}`);
          return 1;
        }
        console.log(
          values.json
            ? JSON.stringify(key)
            : `api_key     ${key.api_key}\napi_secret  ${key.api_secret}\n\nThe old secret no longer works. Store the new one securely.`,
        );
        return 0;
      }
      default:
        throw new UsageError(`unknown command: keys ${command}`);
    }
  } finally {
    await store.close();
  }
}

async function runEvents(
  events: EventService,
  command: string,
  values: {
    account?: string | undefined;
    type?: string | undefined;
    data?: string | undefined;
    asset?: string | undefined;
    available?: string | undefined;
    json: boolean;
  },
): Promise<number> {
  if (!values.account) throw new UsageError(`events ${command} needs --account`);
  let published: Awaited<ReturnType<EventService['publish']>>;
  if (command === 'emit') {
    if (!values.type || values.data === undefined) throw new UsageError('events emit needs --type and --data');
    let data: unknown;
    try {
      data = JSON.parse(values.data);
    } catch {
      throw new UsageError('--data must be JSON');
    }
    published = await events.publish(values.account, values.type, data);
  } else if (command === 'balance') {
    if (!values.asset || !values.available) throw new UsageError('events balance needs --asset and --available');
    published = await events.reportBalance(values.account, values.asset, values.available);
  } else {
    throw new UsageError(`unknown command: events ${command}`);
  }
  if (values.json) console.log(JSON.stringify({ events: published }));
  else if (published.length === 0) console.log('No event: no threshold was crossed.');
  else for (const event of published) console.log(`${event.id}  ${event.type}  stored; the worker delivers it`);
  return 0;
}

// Output piped into a reader that went away (`| head -1`) is not worth a crash.
process.stdout.on('error', () => undefined);

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: Error) => {
    if (error instanceof ApiError) {
      console.error(`${error.code}: ${error.message}`);
      return process.exit(1);
    }
    console.error(error instanceof UsageError ? `${error.message}\n\n${USAGE}` : `error: ${error.message}`);
    process.exit(
      error instanceof UsageError || (error as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? 2 : 1,
    );
  },
);
