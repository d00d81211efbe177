// Admission of a request before its parameters are even looked at: which operation it names (the one
// route match every later step uses), who is calling (signed request or internal bearer token), can
// they afford it (weights), may they do it (scope).
import { timingSafeEqual } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import type { Authenticator } from '../domain/authenticator.ts';
import { ApiError } from '../domain/errors.ts';
import type { Principal } from '../domain/principal.ts';
import { RateLimitedError, type WeightUsage } from '../domain/rate-limiter.ts';
import { rawBodyOf } from './body.ts';
import type { RouteMatch } from './routes.ts';

export function principalOf(res: Response): Principal {
  const principal = res.locals.principal as Principal | undefined;
  if (!principal) throw new Error('no principal: the route was not admitted');
  return principal;
}

function setWeightHeaders(res: Response, usage: WeightUsage): void {
  res.setHeader('X-PipAI-Weight-Used', String(usage.used));
  res.setHeader('X-PipAI-Weight-Limit', String(usage.limit));
}

/** `Authorization: Bearer TOKEN`; the scheme is case-insensitive (RFC 9110, section 11.1). */
function bearerMatches(header: string | undefined, token: string | undefined): boolean {
  const given = header && /^bearer +(\S+) *$/i.exec(header)?.[1];
  if (!token || !given) return false;
  const givenBytes = Buffer.from(given);
  const expected = Buffer.from(token);
  return givenBytes.length === expected.length && timingSafeEqual(givenBytes, expected);
}

/** The route a request names, matched exactly once; 404 for anything that names no operation. */
export function matchRequest(match: (method: string, rawPath: string) => RouteMatch | undefined): RequestHandler {
  return (req, res, next) => {
    const queryAt = req.url.indexOf('?');
    // Only the origin form (`/path?query`) of a request target names an operation.
    const found = req.url.startsWith('/')
      ? match(req.method, queryAt < 0 ? req.url : req.url.slice(0, queryAt))
      : undefined;
    if (!found)
      return next(new ApiError('NOT_FOUND', 'No such operation. See the API reference for the available ones.'));
    res.locals.match = found;
    next();
  };
}

export function admitRequests(deps: {
  authenticator: Authenticator;
  internalToken: string | undefined;
}): RequestHandler {
  const { throttle } = deps.authenticator;
  return async (req, res, next) => {
    const { route } = res.locals.match as RouteMatch;
    const clientAddress = req.socket.remoteAddress ?? 'unknown';
    if (route.internal) {
      throttle.checkAddress(clientAddress);
      if (!bearerMatches(req.get('authorization'), deps.internalToken)) {
        await throttle.recordFailure(clientAddress, undefined);
        throw new ApiError('UNAUTHENTICATED', 'A valid Authorization: Bearer internal token is required.');
      }
      return next();
    }
    const { principal, usage } = await deps.authenticator
      .authenticate(
        {
          apiKey: req.get('x-pipai-api-key'),
          timestamp: req.get('x-pipai-timestamp'),
          signature: req.get('x-pipai-signature'),
          method: req.method,
          target: req.originalUrl,
          body: rawBodyOf(req.body),
          clientAddress,
        },
        route.weight,
      )
      .catch((error: unknown) => {
        if (error instanceof RateLimitedError) {
          setWeightHeaders(res, error.usage);
          res.locals.principal = error.principal;
        }
        throw error;
      });
    res.locals.principal = principal;
    setWeightHeaders(res, usage);
    if (route.scope && !principal.scopes.includes(route.scope)) {
      throw new ApiError('INSUFFICIENT_PERMISSION', `This API key lacks the ${route.scope} scope.`);
    }
    next();
  };
}
