// Admission of a request before its parameters are even looked at: who is calling (signed request or
// internal bearer token), can they afford it (weights), may they do it (scope).
import { timingSafeEqual } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import type { Authenticator } from '../domain/authenticator.ts';
import { ApiError } from '../domain/errors.ts';
import type { Principal } from '../domain/principal.ts';
import { RateLimitedError, type RateLimiter, type WeightUsage } from '../domain/rate-limiter.ts';
import { rawBodyOf } from './body.ts';
import { matchRoute, type Route } from './routes.ts';

export function principalOf(res: Response): Principal {
  const principal = res.locals.principal as Principal | undefined;
  if (!principal) throw new Error('no principal: the route was not admitted');
  return principal;
}

function setWeightHeaders(res: Response, usage: WeightUsage): void {
  res.setHeader('X-PipAI-Weight-Used', String(usage.used));
  res.setHeader('X-PipAI-Weight-Limit', String(usage.limit));
}

function bearerMatches(header: string | undefined, token: string | undefined): boolean {
  if (!token || !header?.startsWith('Bearer ')) return false;
  const given = Buffer.from(header.slice('Bearer '.length));
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export function admitRequests(deps: {
  routes: readonly Route[];
  authenticator: Authenticator;
  rateLimiter: RateLimiter;
  internalToken: string | undefined;
}): RequestHandler {
  return async (req, res, next) => {
    // Unknown routes pass through: the validator answers them with 404.
    const route = matchRoute(deps.routes, req.method, req.path);
    if (!route) return next();
    res.locals.route = route;
    if (route.internal) {
      if (!bearerMatches(req.get('authorization'), deps.internalToken)) {
        throw new ApiError('UNAUTHENTICATED', 'A valid Authorization: Bearer internal token is required.');
      }
      return next();
    }
    const principal = await deps.authenticator.authenticate({
      apiKey: req.get('x-pipai-api-key'),
      timestamp: req.get('x-pipai-timestamp'),
      signature: req.get('x-pipai-signature'),
      method: req.method,
      target: req.originalUrl,
      body: rawBodyOf(req.body),
    });
    res.locals.principal = principal;
    try {
      setWeightHeaders(res, await deps.rateLimiter.charge(principal.keyId, route.weight));
    } catch (error) {
      if (error instanceof RateLimitedError) setWeightHeaders(res, error.usage);
      throw error;
    }
    if (route.scope && !principal.scopes.includes(route.scope)) {
      throw new ApiError('INSUFFICIENT_PERMISSION', `This API key lacks the ${route.scope} scope.`);
    }
    next();
  };
}
