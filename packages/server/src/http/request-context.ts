// Gives every request an id (X-Request-Id, and request_id in errors) and one structured log line.
import { randomBytes } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { Principal } from '../domain/principal.ts';

export function requestContext(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const requestId = `req_${randomBytes(12).toString('hex')}`;
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
