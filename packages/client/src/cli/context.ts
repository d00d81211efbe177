// What a pipai command runs with: the options every command takes, a signed client, its words.
import type { ParseArgsOptionsConfig } from 'node:util';
import type { Command, Entry, HelpRow, Values } from '@pipai/contract/command-table';
import type { PipAIClient } from '../client.ts';
import { fetchPage, type GetInit, type Page, type PageItem, type PaginatedPath, paginate } from '../paginate.ts';

export const GLOBAL_OPTIONS = {
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
  version: { type: 'boolean', default: false },
  'base-url': { type: 'string' },
  'api-key': { type: 'string' },
  'api-secret': { type: 'string' },
} as const;

export const GLOBAL_HELP: readonly HelpRow[] = [
  { usage: ['--json'], summary: ["print the API's JSON instead of a table"] },
  { usage: ['--base-url URL'], summary: ['or PIPAI_BASE_URL'] },
  { usage: ['--api-key KEY'], summary: ['or PIPAI_API_KEY'] },
  { usage: ['--api-secret SECRET'], summary: ['or PIPAI_API_SECRET'] },
  { usage: ['-h, --help'], summary: ['this help (after a command: its usage)'] },
  { usage: ['--version'], summary: ["pipai's version"] },
];

export interface Context<Options extends ParseArgsOptionsConfig = ParseArgsOptionsConfig> {
  client: PipAIClient;
  /** The command's name, for its messages. */
  name: string;
  /** The positionals after the name. */
  args: string[];
  values: Values<typeof GLOBAL_OPTIONS & Options>;
  env: NodeJS.ProcessEnv;
}

/** The options of every listing: a page size, a cursor, or every page. */
export const PAGING = {
  limit: { type: 'string' },
  cursor: { type: 'string' },
  all: { type: 'boolean', default: false },
} as const;

/** What a listing command prints: the page --cursor names (the first without), or with --all every page as one. */
export async function listing<Path extends PaginatedPath>(
  client: PipAIClient,
  path: Path,
  init: GetInit<Path>,
  values: { all: boolean; cursor?: string | undefined },
): Promise<Page<Path>> {
  if (!values.all) return fetchPage(client, path, init, values.cursor ?? null);
  const data: PageItem<Path>[] = [];
  for await (const item of paginate(client, path, init)) data.push(item);
  return { data, next_cursor: null };
}

/** A table entry, its own option types erased so that entries with different options share one table. */
export type PipaiCommand = Command<Context<any>>;

/**
 * One row of the table, typed by its own options. `render` gets the response data: the client throws
 * on every non-2xx, so a command that returns gets data.
 */
export function command<const Options extends ParseArgsOptionsConfig, Result>(
  entry: Entry<Options, Context<Options>, Result> & { render?(result: NonNullable<Result>): string },
): PipaiCommand {
  return entry;
}
