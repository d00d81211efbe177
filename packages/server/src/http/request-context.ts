// Gives every request an id (X-Request-Id, and request_id in errors), one structured log line, and
// (when an observer is attached) one metrics observation, all from the same `finish` listener.
import { randomBytes } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { Principal } from '../domain/principal.ts';
import type { RouteMatch } from './routes.ts';

/** Told of every finished request: its operationId (`unmatched` when none), status and duration. */
export interface RequestObserver {
  requestFinished(operation: string, status: number, seconds: number): void;
}

export function requestContext(logger: Logger, observer?: RequestObserver): RequestHandler {
  // Unique, not secret: a random prefix per process and a counter (random bytes per request showed in profiles).
  const prefix = randomBytes(4).toString('hex');
  let counter = 0;
  return (req, res, next) => {
    counter = (counter + 1) % 0x10000000000000;
    const requestId = `req_${prefix}${counter.toString(16).padStart(16, '0')}`;
    const started = process.hrtime.bigint();
    res.locals.requestId = requestId;
    res.setHeader('X-Request-Id', requestId);
    res.on('finish', () => {
      const elapsedNs = process.hrtime.bigint() - started;
      const principal = res.locals.principal as Principal | undefined;
      // Never the headers, body or query: they carry signatures and, on create, secrets.
      logger.info(
        {
          request_id: requestId,
          method: req.method,
          path: req.path,
          status: res.statusCode,
          duration_ms: Number(elapsedNs / 1000n) / 1000,
          ...(principal ? { api_key: principal.keyId, account: principal.accountName } : {}),
        },
        'request',
      );
      // The operation, never the path: paths carry webhook ids, and unmatched ones are anything sent.
      const operation = (res.locals.match as RouteMatch | undefined)?.route.operationId ?? 'unmatched';
      observer?.requestFinished(operation, res.statusCode, Number(elapsedNs) / 1e9);
    });
    next();
  };
}
