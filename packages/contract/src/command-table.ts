// The command table machinery: one entry per command (its help, its options, what it does, how its
// result reads), and the few functions that turn a table into option parsing, lookup and help text.
// Both CLIs are built on it: `pipai` (@pipai/client, src/cli/) and `pipai-admin` (@pipai/server,
// src/admin/); this package is the one both depend on.
import type { ParseArgsOptionDescriptor, ParseArgsOptionsConfig, parseArgs } from 'node:util';

/** Wrong words on the command line: the message, then the usage text, exit code 2. */
export class UsageError extends Error {}

/** What parseArgs gives for these options (strict, with positionals). */
export type Values<Options extends ParseArgsOptionsConfig> = ReturnType<
  typeof parseArgs<{ options: Options; allowPositionals: true; strict: true }>
>['values'];

/** A table entry; `any` by default, for the table itself, whose entries each have their own types. */
export interface Command<Context = any, Result = any> {
  /** The words that select it, e.g. `webhooks create` or `keys create`. */
  name: string;
  /** The synopsis after the name, one element per help line. */
  usage: readonly string[];
  /** What it does, one element per help line; help puts it in the summary column. */
  summary?: readonly string[];
  /** Its options, for parseArgs; all commands are parsed together, so a name must mean the same everywhere. */
  options: ParseArgsOptionsConfig;
  run(context: Context): Promise<Result>;
  /** Its result for people; without one, the command printed as it went. */
  render?(result: Result): string;
}

/** A table entry as written: typed by its own options (in its context) and its result. */
export type Entry<Options extends ParseArgsOptionsConfig, Context, Result> = Omit<
  Command<Context, Result>,
  'options' | 'render'
> & { options: Options };

/** The options of every command and the CLI's own, for the single parseArgs call. */
export function allOptions(global: ParseArgsOptionsConfig, commands: readonly Command[]) {
  const options: Record<string, ParseArgsOptionDescriptor> = { ...global };
  for (const command of commands) {
    for (const [name, option] of Object.entries(command.options)) {
      if (options[name] && JSON.stringify(options[name]) !== JSON.stringify(option)) {
        throw new Error(`--${name} is declared two ways (${command.name})`);
      }
      options[name] = option;
    }
  }
  return options;
}

/** The command whose name the positionals start with, and the positionals after it. */
export function findCommand<C extends Command>(commands: readonly C[], positionals: readonly string[]) {
  for (const command of commands) {
    const words = command.name.split(' ');
    if (words.every((word, index) => positionals[index] === word)) {
      return { command, args: positionals.slice(words.length) };
    }
  }
  return undefined;
}

/** The first words of the commands that have more than one (`webhooks` for `webhooks create`). */
export function groupsOf(commands: readonly Command[]): Set<string> {
  return new Set(
    commands.filter((command) => command.name.includes(' ')).map((command) => command.name.split(' ')[0]!),
  );
}

export interface HelpRow {
  usage: readonly string[];
  summary?: readonly string[] | undefined;
}

/**
 * Help lines, two spaces in: the synopsis, its further lines one column short of the summary column,
 * and the summary in that column, beside the synopsis if it fits there and below it if not.
 */
export function helpRows(rows: readonly HelpRow[], column: number): string {
  const lines: string[] = [];
  for (const { usage, summary = [] } of rows) {
    const [first = '', ...more] = usage;
    const head = `  ${first}`;
    const [beside, ...below] = head.length < column ? summary : ['', ...summary];
    lines.push(beside ? `${head.padEnd(column)}${beside}` : head);
    for (const line of more) lines.push(`${' '.repeat(column - 1)}${line}`);
    for (const line of below) lines.push(`${' '.repeat(column)}${line}`);
  }
  return lines.join('\n');
}

/** A command's help row: its name leads its synopsis. */
export const commandRow = (command: Command): HelpRow => ({
  usage: [[command.name, command.usage[0]].filter(Boolean).join(' '), ...command.usage.slice(1)],
  summary: command.summary,
});
