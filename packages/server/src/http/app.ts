// The Express app: request context, the one exact route match, raw body, admission (auth, weights,
// scopes), JSON parsing, parameter text checks, the OpenAPI validator fed the bundled spec, the
// matched operation's handler, and problem+json for any error.
import express, { type ErrorRequestHandler, type Express } from 'express';
import * as OpenApiValidator from 'express-openapi-validator';
import type { Logger } from 'pino';
import type { Authenticator } from '../domain/authenticator.ts';
import { ApiError } from '../domain/errors.ts';
import { checkParameters, parseJsonBody, readRawBody } from './body.ts';
import { type CorsOrigins, crossOrigin } from './cors.ts';
import type { OperationHandlers } from './operation-types.ts';
import { sendProblem } from './problem.ts';
import { type RequestObserver, requestContext } from './request-context.ts';
import { createRouter, type RouteMatch, routesOf } from './routes.ts';
import { admitRequests, matchRequest } from './security.ts';
import { toApiError } from './validator-errors.ts';

export interface AppDeps {
  /** The bundled (internal) OpenAPI document: routes, scopes, weights and validation all come from it. */
  spec: object;
  handlers: OperationHandlers;
  authenticator: Authenticator;
  logger: Logger;
  internalToken?: string | undefined;
  /** GET /readyz: resolves with the checks that failed (none: ready). */
  readiness?: () => Promise<string[]>;
  /** Validate every JSON response against the spec and fail the request on a mismatch (tests). */
  validateResponses?: boolean;
  /** Browser origins allowed to call (CORS); none when left out. */
  corsOrigins?: CorsOrigins;
  /** This process's metrics: GET /metrics serves them (outside the spec, like the probes); every request is counted. */
  metrics?: RequestObserver & { handler: express.RequestHandler };
}

export function createApp(deps: AppDeps): Express {
  const routes = routesOf(deps.spec as Parameters<typeof routesOf>[0]);
  const match = createRouter(routes);
  const app = express();
  app.disable('x-powered-by');
  // Express's own routing only serves the probes below; make it as exact as the route table.
  app.set('strict routing', true);
  app.set('case sensitive routing', true);
  app.set('query parser', parseQuery);
  app.set('etag', false);

  // Liveness only: the process answers. Readiness (database, migrations, master key) is /readyz.
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const failing = deps.readiness ? await deps.readiness().catch((error: Error) => [error.message]) : [];
    res
      .status(failing.length ? 503 : 200)
      .json(failing.length ? { status: 'unavailable', failing } : { status: 'ready' });
  });
  if (deps.metrics) app.get('/metrics', deps.metrics.handler);

  app.use(requestContext(deps.logger, deps.metrics));
  // Before the route match: a preflight (OPTIONS) from an allowed origin is answered here.
  app.use(crossOrigin(deps.spec, deps.corsOrigins ?? []));
  app.use(matchRequest(match));
  app.use(readRawBody);
  app.use(
    admitRequests({
      authenticator: deps.authenticator,
      internalToken: deps.internalToken,
    }),
  );
  app.use(parseJsonBody);
  app.use(checkParameters);
  app.use(
    OpenApiValidator.middleware({
      apiSpec: structuredClone(deps.spec) as never,
      validateApiSpec: false,
      validateRequests: { allowUnknownQueryParameters: false, removeAdditional: false, allErrors: true },
      validateResponses: deps.validateResponses ?? false,
      validateSecurity: false,
      ignoreUndocumented: false,
    }),
  );
  // Dispatch through the match that admitted the request: no second router can disagree with it.
  app.use((req, res, next) => {
    const { route, params } = res.locals.match as RouteMatch;
    const handler = deps.handlers[route.operationId as keyof OperationHandlers] as express.RequestHandler | undefined;
    if (!handler)
      return next(new ApiError('NOT_FOUND', 'No such operation. See the API reference for the available ones.'));
    req.params = params as Record<string, string>;
    return handler(req, res, next);
  });

  const handleError: ErrorRequestHandler = (error, req, res, _next) => {
    let apiError = toApiError(error);
    if (!apiError) {
      deps.logger.error({ err: error, request_id: res.locals.requestId, path: req.path }, 'unexpected error');
      apiError = new ApiError(
        'INTERNAL',
        'An unexpected error occurred. Quote the request id when contacting support.',
      );
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    sendProblem(res, apiError);
  };
  app.use(handleError);
  return app;
}

/**
 * The query string as documented parameters read it: names to values (an array when repeated), in an
 * object whose keys are all own data properties, so `__proto__` is just an unknown parameter.
 */
function parseQuery(text: string | null | undefined): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const [name, value] of new URLSearchParams(text ?? '')) {
    const previous = Object.hasOwn(query, name) ? query[name] : undefined;
    const next = previous === undefined ? value : [...(Array.isArray(previous) ? previous : [previous]), value];
    Object.defineProperty(query, name, { value: next, enumerable: true, writable: true, configurable: true });
  }
  return query;
}
