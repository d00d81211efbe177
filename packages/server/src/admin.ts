// `pnpm pipai-admin`: accounts and API keys, on the same data dir / DATABASE_URL as the server.
// Each command is an entry of the table in admin/commands.ts; this file parses, dispatches and prints.
import { parseArgs } from 'node:util';
import { allOptions, commandRow, findCommand, groupsOf, helpRows, UsageError } from '@pipai/contract/command-table';
import { pino } from 'pino';
import { COMMANDS } from './admin/commands.ts';
import { CommandFailure, type Context, GLOBAL_OPTIONS } from './admin/context.ts';
import { needsAccount } from './admin/events.ts';
import { exitCannotStart, openDatabase } from './bootstrap.ts';
import { type Config, loadConfig } from './config.ts';
import { AccountService } from './domain/accounts.ts';
import { systemClock } from './domain/clock.ts';
import { ApiError } from './domain/errors.ts';
import { eventServiceOn } from './services.ts';

const COLUMN = 56;

const USAGE = `Usage: pipai-admin <keys|events> <command> [options]

Commands:
${helpRows(COMMANDS.map(commandRow), COLUMN)}

SCOPES is a comma-separated list of webhooks:read, webhooks:write.
Uses PIPAI_DATA_DIR (default .data) or DATABASE_URL and PIPAI_MASTER_KEY, like the server.`;

// One parse for every command: any command accepts any option, and ignores those it does not read.
const OPTIONS = allOptions(GLOBAL_OPTIONS, COMMANDS);
const GROUPS = groupsOf(COMMANDS);

async function run(argv: string[]): Promise<number> {
  const parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  // Typed as each command declares its options; the parse above used the very same declarations.
  const values = parsed.values as Context['values'];
  const [group, name] = parsed.positionals;
  if (values.help || !group || !GROUPS.has(group) || !name) {
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
    const events = eventServiceOn(store, systemClock);
    const accounts = new AccountService({ accounts: store.accounts, secrets, clock: systemClock, events });
    const found = findCommand(COMMANDS, parsed.positionals);
    if (!found) {
      // Even a misspelt events command asks for --account first, as it always has.
      if (group === 'events') needsAccount(`${group} ${name}`, values as { account?: string });
      throw new UsageError(`unknown command: ${group} ${name}`);
    }
    const { command, args } = found;
    const result = await command.run({ accounts, events, name: command.name, args, values });
    // --json belongs to the commands that declare it (revoke prints text either way); an empty
    // rendering (no keys) prints nothing at all.
    const text = values.json && 'json' in command.options ? JSON.stringify(result) : command.render(result);
    if (text) console.log(text);
    return 0;
  } finally {
    await store.close();
  }
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
    if (error instanceof CommandFailure) {
      console.error(error.message);
      return process.exit(1);
    }
    console.error(error instanceof UsageError ? `${error.message}\n\n${USAGE}` : `error: ${error.message}`);
    process.exit(
      error instanceof UsageError || (error as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? 2 : 1,
    );
  },
);
