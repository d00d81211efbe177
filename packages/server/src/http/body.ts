// Reads the raw body once: the signature is computed over its exact bytes, and only then is it
// parsed as JSON. A body is never guessed at: one the operation does not take, one without
// `Content-Type: application/json` (UTF-8), bytes that are not UTF-8 and malformed JSON are each
// refused with their own clear error, so nothing a client sent is silently ignored.
import express, { type RequestHandler } from 'express';
import { ApiError, invalidParameter, invalidParameters, type ParameterError } from '../domain/errors.ts';
import type { RouteMatch } from './routes.ts';

export const MAX_BODY_BYTES = 64 * 1024;

export const readRawBody: RequestHandler = express.raw({ type: () => true, limit: MAX_BODY_BYTES });

export const rawBodyOf = (body: unknown): Buffer => (Buffer.isBuffer(body) ? body : Buffer.alloc(0));

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** `application/json`, optionally with `charset=utf-8`; the reason it is not, otherwise. */
function mediaTypeProblem(contentType: string | undefined): string | undefined {
  if (!contentType) return 'The request has a body but no Content-Type; send it as Content-Type: application/json.';
  const [type = '', ...parameters] = contentType.split(';').map((part) => part.trim());
  if (type.toLowerCase() !== 'application/json') {
    return `The request body must be sent as Content-Type: application/json (UTF-8); got ${type || 'an empty type'}.`;
  }
  for (const parameter of parameters) {
    const [name = '', value = ''] = parameter.split('=').map((part) => part.trim());
    if (name.toLowerCase() === 'charset' && value.replace(/^"|"$/g, '').toLowerCase() !== 'utf-8') {
      return `The request body must be UTF-8; Content-Type names charset ${value}.`;
    }
  }
  return undefined;
}

export const parseJsonBody: RequestHandler = (req, res, next) => {
  const raw = rawBodyOf(req.body);
  req.body = undefined;
  if (raw.length === 0) return next();
  const { route } = res.locals.match as RouteMatch;
  if (!route.takesBody)
    return next(invalidParameter('body', 'body', 'must be empty: this operation takes no request body'));
  const problem = mediaTypeProblem(req.get('content-type'));
  if (problem) return next(new ApiError('UNSUPPORTED_MEDIA_TYPE', problem));
  let text: string;
  try {
    text = utf8.decode(raw);
  } catch {
    return next(invalidParameter('body', 'body', 'is not valid UTF-8'));
  }
  try {
    req.body = JSON.parse(text);
  } catch (error) {
    return next(invalidParameter('body', 'body', `is not valid JSON (${(error as Error).message})`));
  }
  next();
};

/** `events[2]`, `data.name`: how errors[] names a place inside a value. */
const child = (name: string, key: string | number) =>
  typeof key === 'number' ? `${name}[${key}]` : name ? `${name}.${key}` : key;

/**
 * Strings no store can keep as sent: a NUL character (PostgreSQL text refuses it) and unpaired
 * surrogates (they cannot be encoded as UTF-8 and would be silently replaced). Keys count too.
 */
function illFormedStrings(value: unknown, name: string, location: ParameterError['in'], found: ParameterError[]): void {
  if (typeof value === 'string') {
    if (value.includes('\u0000'))
      found.push({ parameter: name, in: location, message: 'must not contain a NUL character' });
    else if (!value.isWellFormed())
      found.push({
        parameter: name,
        in: location,
        message: 'must be well-formed Unicode (it has an unpaired surrogate)',
      });
  } else if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) illFormedStrings(item, child(name, index), location, found);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      illFormedStrings(key, child(name, key), location, found);
      illFormedStrings(item, child(name, key), location, found);
    }
  }
}

/**
 * Before the spec's schemas judge them: path parameters, query and body hold only well-formed
 * strings, the query only documented parameters, its integers only plain decimal digits.
 */
export const checkParameters: RequestHandler = (req, res, next) => {
  const { route, params } = res.locals.match as RouteMatch;
  const found: ParameterError[] = [];
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined) found.push({ parameter: name, in: 'path', message: 'is not validly percent-encoded' });
    else illFormedStrings(value, name, 'path', found);
  }
  const query = req.query as Record<string, unknown>;
  for (const name of Object.keys(query)) {
    if (!route.queryParameters.includes(name)) {
      found.push({ parameter: name, in: 'query', message: 'is not a known parameter' });
      continue;
    }
    illFormedStrings(query[name], name, 'query', found);
    // Number() would take 0x10, 1e1, 05, Infinity and 400 digits; the API takes decimal integers.
    const text = query[name];
    if (
      route.integerQueryParameters.includes(name) &&
      typeof text === 'string' &&
      !/^-?(0|[1-9]\d{0,14})$/.test(text)
    ) {
      found.push({ parameter: name, in: 'query', message: 'must be integer' });
    }
  }
  illFormedStrings(req.body, '', 'body', found);
  next(found.length ? invalidParameters(found) : undefined);
};
