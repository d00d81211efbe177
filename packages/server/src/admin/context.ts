// What a pipai-admin command runs with: the options every command takes, the account and event
// services on the opened database, its words.
import type { ParseArgsOptionsConfig } from 'node:util';
import type { Command, Entry, Values } from '@pipai/contract/command-table';
import type { AccountService } from '../domain/accounts.ts';
import type { EventService } from '../domain/event-service.ts';

export const GLOBAL_OPTIONS = {
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** A command that takes it prints its result as one line of JSON instead of text. */
export const JSON_OPTION = { type: 'boolean', default: false } as const;

/** The command ran but could not do it (no such key): its message alone, exit code 1. */
export class CommandFailure extends Error {}

export interface Context<Options extends ParseArgsOptionsConfig = ParseArgsOptionsConfig> {
  accounts: AccountService;
  events: EventService;
  /** The command's name, for its messages. */
  name: string;
  /** The positionals after the name. */
  args: string[];
  values: Values<typeof GLOBAL_OPTIONS & Options>;
}

/** A table entry, its own option types erased so that entries with different options share one table. */
export interface AdminCommand extends Command<Context<any>> {
  /** Every pipai-admin command prints its result. */
  render(result: unknown): string;
}

/** One row of the table, typed by its own options. */
export function command<const Options extends ParseArgsOptionsConfig, Result>(
  entry: Entry<Options, Context<Options>, Result> & { render(result: Result): string },
): AdminCommand {
  return entry;
}
