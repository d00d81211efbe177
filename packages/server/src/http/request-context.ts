// Gives every request an id (X-Request-Id, and request_id in errors) and one structured log line.
import { randomBytes } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { Principal } from '../domain/principal.ts';

export function requestContext(logger: Logger): RequestHandler {
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
      const principal = res.locals.principal as Principal | undefined;
      // Never the headers, body or query: they carry signatures and, on create, secrets.
      logger.info(
        {
          request_id: requestId,
          method: req.method,
          path: req.path,
          status: res.statusCode,
          duration_ms: Number((process.hrtime.bigint() - started) / 1000n) / 1000,
          ...(principal ? { api_key: principal.keyId, account: principal.accountName } : {}),
        },
        'request',
      );
    });
    next();
  };
}
