#!/usr/bin/env node
// `pipai`: the API from the command line, built on the SDK. Tables for people, --json for scripts.
// Each command is an entry of the table in cli/commands.ts; this file parses, dispatches and prints.
import { existsSync, readFileSync } from 'node:fs';
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

/** The version of the @pipai/client package this CLI belongs to (from src/ or from a built dist/src/). */
function version(): string {
  for (let dir = new URL('.', import.meta.url); ; dir = new URL('..', dir)) {
    const file = new URL('package.json', dir);
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8'));
      if (pkg.name === '@pipai/client') return pkg.version;
    }
    if (dir.pathname === '/') return 'unknown';
  }
}

/** How an error is told: one readable block, or with --json one JSON object (what scripts parse). */
function report(error: unknown, json: boolean, usage: string): number {
  if (error instanceof PipAIError) {
    if (json) {
      const { status, code, detail, requestId, errors } = error;
      console.error(JSON.stringify({ error: { status, code, detail, request_id: requestId, errors } }));
    } else {
      console.error(error.toString());
      for (const item of error.errors) console.error(`  ${item.parameter} (${item.in}): ${item.message}`);
    }
    return 1;
  }
  const code = error instanceof UsageError ? 'USAGE' : 'ERROR';
  const message = (error as Error).message;
  if (json) console.error(JSON.stringify({ error: { code, detail: message } }));
  else console.error(error instanceof UsageError ? `${message}\n\n${usage}` : `error: ${message}`);
  return error instanceof UsageError ? 2 : 1;
}

async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let parsed: ReturnType<typeof parseArgs<{ args: string[]; options: typeof OPTIONS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    return report(new UsageError((error as Error).message), argv.includes('--json'), USAGE);
  }
  // Typed as each command declares its options; the parse above used the very same declarations.
  const values = parsed.values as Context['values'];
  const { positionals } = parsed;
  const [group, name] = positionals;
  if (values.version) {
    console.log(version());
    return 0;
  }
  const found = group ? findCommand(COMMANDS, positionals) : undefined;
  // A command's usage errors show that command's usage only.
  const usage = found ? `Usage: pipai ${helpRows([commandRow(found.command)], COLUMN).trimStart()}` : USAGE;
  if (values.help || !group) {
    console.log(usage);
    return values.help ? 0 : 2;
  }
  try {
    if (!found) {
      throw new UsageError(
        GROUPS.has(group) ? `unknown command: ${group} ${name ?? ''}`.trim() : `unknown command: ${group}`,
      );
    }
    const client = createPipAIClient({ ...credentials(values, env), throwOnError: true, timeoutMs: 30_000 });
    const { command, args } = found;
    const result = await command.run({ client, name: command.name, args, values, env });
    if (command.render) console.log(values.json ? JSON.stringify(result, null, 2) : command.render(result));
    return 0;
  } catch (error) {
    return report(error, values.json, usage);
  }
}

process.exitCode = await main(process.argv.slice(2));
