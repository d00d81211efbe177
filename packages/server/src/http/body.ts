// Reads the raw body once: the signature is computed over its exact bytes, and only then is it
// parsed as JSON, with a clear error for anything malformed.
import express, { type RequestHandler } from 'express';
import { invalidParameters } from '../domain/errors.ts';

export const MAX_BODY_BYTES = 64 * 1024;

export const readRawBody: RequestHandler = express.raw({ type: () => true, limit: MAX_BODY_BYTES });

export const rawBodyOf = (body: unknown): Buffer => (Buffer.isBuffer(body) ? body : Buffer.alloc(0));

export const parseJsonBody: RequestHandler = (req, _res, next) => {
  const raw = rawBodyOf(req.body);
  if (raw.length === 0) {
    req.body = undefined;
    return next();
  }
  if (!req.is('application/json')) {
    // Leave the bytes to the validator, which reports the media type; never treat them as JSON.
    req.body = raw.toString('utf8');
    return next();
  }
  try {
    req.body = JSON.parse(raw.toString('utf8'));
    next();
  } catch (error) {
    next(invalidParameters([{ parameter: 'body', in: 'body', message: `is not valid JSON (${(error as Error).message})` }]));
  }
};
