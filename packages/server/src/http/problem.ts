// Every error leaves as RFC 9457 problem+json with the spec's code, a request id and, for
// INVALID_PARAMETER, the offending parameters. This is the only place codes become HTTP statuses.
import type { Response } from 'express';
import type { components } from '@pipai/contract';
import type { ApiError, ErrorCode } from '../domain/errors.ts';

type Problem = components['schemas']['Problem'];

const STATUS: Record<ErrorCode, number> = {
  INVALID_PARAMETER: 400,
  UNAUTHENTICATED: 401,
  INVALID_SIGNATURE: 401,
  TIMESTAMP_OUT_OF_WINDOW: 401,
  INSUFFICIENT_PERMISSION: 403,
  NOT_FOUND: 404,
  DUPLICATE_URL: 409,
  LIMIT_REACHED: 429,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  UNAVAILABLE: 503,
};

const TITLE: Record<ErrorCode, string> = {
  INVALID_PARAMETER: 'Invalid parameter',
  UNAUTHENTICATED: 'Unauthenticated',
  INVALID_SIGNATURE: 'Invalid signature',
  TIMESTAMP_OUT_OF_WINDOW: 'Timestamp out of window',
  INSUFFICIENT_PERMISSION: 'Insufficient permission',
  NOT_FOUND: 'Not found',
  DUPLICATE_URL: 'Duplicate URL',
  LIMIT_REACHED: 'Limit reached',
  UNSUPPORTED_MEDIA_TYPE: 'Unsupported media type',
  RATE_LIMITED: 'Rate limited',
  INTERNAL: 'Internal error',
  UNAVAILABLE: 'Service unavailable',
};

export function problemFor(error: ApiError, requestId: string, instance: string): Problem {
  return {
    type: `https://docs.pipai.example/errors/${error.code.toLowerCase().replaceAll('_', '-')}`,
    title: TITLE[error.code],
    status: STATUS[error.code],
    detail: error.message,
    instance,
    code: error.code,
    request_id: requestId,
    ...(error.code === 'INVALID_PARAMETER' && error.errors?.length ? { errors: error.errors } : {}),
  };
}

export function sendProblem(res: Response, error: ApiError): void {
  const problem = problemFor(error, res.locals.requestId as string, res.req.path);
  if (error.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(error.retryAfterSeconds));
  res.status(problem.status).type('application/problem+json').json(problem);
}
