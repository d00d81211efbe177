#!/usr/bin/env node
// `pipai`: the API from the command line, built on the SDK. Tables for people, --json for scripts.
// Each command is an entry of the table in cli/commands.ts; this file parses, dispatches and prints.
import { parseArgs } from 'node:util';
import { allOptions, commandRow, findCommand, groupsOf, helpRows, UsageError } from '@pipai/contract/command-table';
import { COMMANDS } from './cli/commands.ts';
import { type Context, GLOBAL_HELP, GLOBAL_OPTIONS } from './cli/context.ts';
import { credentials } from './cli/credentials.ts';
import { createPipAIClient } from './client.ts';
import { PipAIError } from './errors.ts';

const COLUMN = 30;

const USAGE = `Usage: pipai <command> [options]

Commands:
${helpRows(COMMANDS.map(commandRow), COLUMN)}

Options:
${helpRows(GLOBAL_HELP, COLUMN)}

Without credentials in flags or the environment, the dev credentials that \`pnpm start\` writes to
$PIPAI_DATA_DIR/dev-credentials.json (default .data/) are used.`;

// One parse for every command: any command accepts any option, and ignores those it does not read.
const OPTIONS = allOptions(GLOBAL_OPTIONS, COMMANDS);
const GROUPS = groupsOf(COMMANDS);

async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let parsed: ReturnType<typeof parseArgs<{ args: string[]; options: typeof OPTIONS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  // Typed as each command declares its options; the parse above used the very same declarations.
  const values = parsed.values as Context['values'];
  const { positionals } = parsed;
  const [group, name] = positionals;
  if (values.help || !group) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  try {
    // Credentials first: without them every command, even a misspelt one, fails the same way.
    const client = createPipAIClient({ ...credentials(values, env), throwOnError: true, timeoutMs: 30_000 });
    const found = findCommand(COMMANDS, positionals);
    if (!found) {
      throw new UsageError(
        GROUPS.has(group) ? `unknown command: ${group} ${name ?? ''}`.trim() : `unknown command: ${group}`,
      );
    }
    const { command, args } = found;
    const result = await command.run({ client, name: command.name, args, values, env });
    if (command.render) console.log(values.json ? JSON.stringify(result, null, 2) : command.render(result));
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`${error.message}\n\n${USAGE}`);
      return 2;
    }
    if (error instanceof PipAIError) {
      console.error(error.toString());
      for (const item of error.errors) console.error(`  ${item.parameter} (${item.in}): ${item.message}`);
      return 1;
    }
    console.error(`error: ${(error as Error).message}`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
