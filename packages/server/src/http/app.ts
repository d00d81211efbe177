// The Express app: request context, raw body, admission (auth, weights, scopes), JSON parsing, the
// OpenAPI validator fed the bundled spec, one handler per operation, and problem+json for any error.
import express, { type ErrorRequestHandler, type Express } from 'express';
import * as OpenApiValidator from 'express-openapi-validator';
import type { Logger } from 'pino';
import { ApiError, invalidParameters } from '../domain/errors.ts';
import type { Authenticator } from '../domain/authenticator.ts';
import type { RateLimiter } from '../domain/rate-limiter.ts';
import { parseJsonBody, readRawBody } from './body.ts';
import type { OperationHandlers } from './operation-types.ts';
import { sendProblem } from './problem.ts';
import { requestContext } from './request-context.ts';
import { routesOf, type Route } from './routes.ts';
import { admitRequests } from './security.ts';
import { toApiError } from './validator-errors.ts';

export interface AppDeps {
  /** The bundled (internal) OpenAPI document: routes, scopes, weights and validation all come from it. */
  spec: object;
  handlers: OperationHandlers;
  authenticator: Authenticator;
  rateLimiter: RateLimiter;
  logger: Logger;
  internalToken?: string | undefined;
  /** GET /readyz: resolves with the checks that failed (none: ready). */
  readiness?: () => Promise<string[]>;
  /** Validate every JSON response against the spec and fail the request on a mismatch (tests). */
  validateResponses?: boolean;
}

export function createApp(deps: AppDeps): Express {
  const routes = routesOf(deps.spec as Parameters<typeof routesOf>[0]);
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'extended');
  app.set('etag', false);

  // Liveness only: the process answers. Readiness (database, migrations, master key) is /readyz.
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const failing = deps.readiness ? await deps.readiness().catch((error: Error) => [error.message]) : [];
    res.status(failing.length ? 503 : 200).json(failing.length ? { status: 'unavailable', failing } : { status: 'ready' });
  });

  app.use(requestContext(deps.logger));
  app.use(readRawBody);
  app.use(admitRequests({ routes, authenticator: deps.authenticator, rateLimiter: deps.rateLimiter, internalToken: deps.internalToken }));
  app.use(parseJsonBody);
  // The validator checks unknown query parameters only where an operation documents some; refuse
  // them everywhere.
  app.use((req, res, next) => {
    const route = res.locals.route as Route | undefined; // matched once, by admitRequests
    const unknown = route ? Object.keys(req.query).filter((name) => !route.queryParameters.includes(name)) : [];
    next(unknown.length ? invalidParameters(unknown.map((name) => ({ parameter: name, in: 'query' as const, message: 'is not a known parameter' }))) : undefined);
  });
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

  for (const route of routes) {
    const handler = deps.handlers[route.operationId as keyof OperationHandlers];
    if (handler) app[route.method.toLowerCase() as 'get'](route.expressPath, handler as express.RequestHandler);
  }

  // Whatever no handler answered (Express would send an HTML page) is a problem+json 404 too.
  app.use((_req, _res, next) => next(new ApiError('NOT_FOUND', 'No such operation. See the API reference for the available ones.')));

  const handleError: ErrorRequestHandler = (error, req, res, _next) => {
    let apiError = toApiError(error);
    if (!apiError) {
      deps.logger.error({ err: error, request_id: res.locals.requestId, path: req.path }, 'unexpected error');
      apiError = new ApiError('INTERNAL', 'An unexpected error occurred. Quote the request id when contacting support.');
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
