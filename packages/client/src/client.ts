// createPipAIClient: an openapi-fetch client typed by the spec's `paths`, with one middleware that
// signs every request and, when asked, retries rate-limited calls and throws PipAIError.
import type { paths } from '@pipai/contract';
import createClient, {
  type Client,
  type ClientPathsWithMethod,
  type FetchResponse,
  type MaybeOptionalInit,
  type Middleware,
} from 'openapi-fetch';
import { PipAIError } from './errors.ts';
import { createRequestSigner } from './signing.ts';

export type PipAIClient = Client<paths>;

type Method = 'get' | 'put' | 'post' | 'patch' | 'delete';
/** openapi-fetch's own rule for when the init argument may be left out. */
type InitParam<Init> = keyof { [K in keyof Init as undefined extends Init[K] ? never : K]: 0 } extends never
  ? [(Init & { [key: string]: unknown })?]
  : [Init & { [key: string]: unknown }];
/** A method of a client that throws on every non-2xx: what it resolves to always has its `data`. */
type ThrowingMethod<M extends Method> = <
  Path extends ClientPathsWithMethod<PipAIClient, M>,
  Init extends MaybeOptionalInit<paths[Path], M>,
>(
  url: Path,
  ...init: InitParam<Init>
) => Promise<{
  data: NonNullable<FetchResponse<NonNullable<paths[Path][M]>, Init, `${string}/${string}`>['data']>;
  error?: never;
  response: Response;
}>;

/** The client `throwOnError: true` makes: errors are thrown (PipAIError), so `data` is never optional. */
export type ThrowingPipAIClient = Omit<PipAIClient, 'GET' | 'PUT' | 'POST' | 'PATCH' | 'DELETE'> & {
  GET: ThrowingMethod<'get'>;
  PUT: ThrowingMethod<'put'>;
  POST: ThrowingMethod<'post'>;
  PATCH: ThrowingMethod<'patch'>;
  DELETE: ThrowingMethod<'delete'>;
};

export interface RateLimitRetryOptions {
  /** How many times one call may be retried after 429 RATE_LIMITED. Default 2. */
  maxRetries?: number;
  /** A Retry-After longer than this is not waited for: the 429 is returned (or thrown). Default 10 s. */
  maxWaitMs?: number;
  /** How Retry-After is waited out; injectable for tests. Default: a timer that the call's signal cancels. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

export interface PipAIClientOptions {
  /** e.g. https://api.pipai.example */
  baseUrl: string;
  apiKey: string;
  apiSecret: string;
  /** Defaults to the global fetch; inject one to test or to go through a proxy. */
  fetch?: (request: Request) => Promise<Response>;
  /** Abort any call that takes longer; callers can also pass their own `signal` per call. */
  timeoutMs?: number;
  /** Throw PipAIError for every non-2xx response instead of returning `{ error }`. */
  throwOnError?: boolean;
  /** Opt-in: wait out Retry-After and retry calls answered 429 RATE_LIMITED. */
  retryRateLimited?: boolean | RateLimitRetryOptions;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });

export function createPipAIClient(options: PipAIClientOptions & { throwOnError: true }): ThrowingPipAIClient;
export function createPipAIClient(options: PipAIClientOptions): PipAIClient;
export function createPipAIClient(options: PipAIClientOptions): PipAIClient {
  const baseFetch = options.fetch ?? ((request: Request) => globalThis.fetch(request));
  const send = options.timeoutMs
    ? (request: Request) =>
        baseFetch(
          new Request(request, { signal: AbortSignal.any([request.signal, AbortSignal.timeout(options.timeoutMs!)]) }),
        )
    : baseFetch;
  const signer = createRequestSigner(options.apiKey, options.apiSecret);
  const retry = options.retryRateLimited
    ? {
        maxRetries: 2,
        maxWaitMs: 10_000,
        sleep,
        ...(options.retryRateLimited === true ? {} : options.retryRateLimited),
      }
    : undefined;
  // The body of each signed request, kept so that a retry can be signed afresh.
  const bodies = new WeakMap<Request, ArrayBuffer>();

  const middleware: Middleware = {
    async onRequest({ request }) {
      const body = await request.clone().arrayBuffer();
      const signed = await signer.sign(request, body);
      bodies.set(signed, body);
      return signed;
    },
    async onResponse({ request, response }) {
      let current = response;
      for (let attempt = 0; retry && attempt < retry.maxRetries && current.status === 429; attempt += 1) {
        const error = await PipAIError.fromResponse(current);
        const waitMs = (error.retryAfter ?? 1) * 1000;
        if (error.code !== 'RATE_LIMITED' || waitMs > retry.maxWaitMs) break;
        await retry.sleep(waitMs, request.signal);
        current = await send(await signer.sign(request, bodies.get(request) ?? new ArrayBuffer(0)));
      }
      if (options.throwOnError && !current.ok) throw await PipAIError.fromResponse(current);
      return current === response ? undefined : current;
    },
  };

  const client = createClient<paths>({ baseUrl: options.baseUrl.replace(/\/+$/, ''), fetch: send });
  client.use(middleware);
  return client;
}
