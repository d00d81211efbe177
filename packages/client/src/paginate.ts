// Every item of a cursor-paginated list, page after page, as an async iterator.
import type { paths } from '@pipai/contract';
import type { PipAIClient } from './client.ts';
import { PipAIError } from './errors.ts';

type JsonOk<Operation> = Operation extends { responses: { 200: { content: { 'application/json': infer Body } } } }
  ? Body
  : never;

/** The GET paths whose 200 body is `{ data: [...], next_cursor }`. */
export type PaginatedPath = {
  [Path in keyof paths]: JsonOk<paths[Path]['get']> extends { data: unknown[]; next_cursor: string | null }
    ? Path
    : never;
}[keyof paths];

export type PageItem<Path extends PaginatedPath> = JsonOk<paths[Path]['get']>['data'][number];

export type GetInit<Path extends PaginatedPath> = paths[Path]['get'] extends { parameters: infer Parameters }
  ? {
      params?: Omit<Parameters, 'query'> & {
        query?: Omit<NonNullable<Parameters extends { query?: infer Query } ? Query : never>, 'cursor'>;
      };
      signal?: AbortSignal;
    }
  : never;

export interface Page<Path extends PaginatedPath> {
  data: PageItem<Path>[];
  next_cursor: string | null;
}

/** One page: the first, or the one `cursor` points at. Throws PipAIError when it fails. */
export async function fetchPage<Path extends PaginatedPath>(
  client: PipAIClient,
  path: Path,
  init: GetInit<Path> | undefined,
  cursor: string | null,
): Promise<Page<Path>> {
  const get = client.GET as unknown as (
    path: string,
    init: object,
  ) => Promise<{ data?: Page<Path>; error?: unknown; response: Response }>;
  const params = (init?.params ?? {}) as { query?: object };
  const query = { ...params.query, ...(cursor ? { cursor } : {}) };
  const { data, error, response } = await get(path, { ...init, params: { ...params, query } });
  if (!data) throw PipAIError.fromProblem(response, error);
  return data;
}

/**
 * `for await (const webhook of paginate(client, '/v1/webhooks', { params: { query: { status: 'active' } } }))`
 * Failed pages throw PipAIError.
 */
export async function* paginate<Path extends PaginatedPath>(
  client: PipAIClient,
  path: Path,
  init?: GetInit<Path>,
): AsyncGenerator<PageItem<Path>, void, undefined> {
  let cursor: string | null = null;
  do {
    const page: Page<Path> = await fetchPage(client, path, init, cursor);
    yield* page.data;
    cursor = page.next_cursor;
  } while (cursor);
}
