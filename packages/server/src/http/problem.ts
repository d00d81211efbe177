// Every error leaves as RFC 9457 problem+json with the spec's code, a request id and, for
// INVALID_PARAMETER, the offending parameters. This is the only place codes become HTTP statuses,
// and each code's status and title are the spec's (generated into the contract's errorCatalog).

import { type components, errorCatalog } from '@pipai/contract';
import type { Response } from 'express';
import type { ApiError } from '../domain/errors.ts';

type Problem = components['schemas']['Problem'];

export function problemFor(error: ApiError, requestId: string, instance: string): Problem {
  return {
    type: `https://docs.pipai.example/errors/${error.code.toLowerCase().replaceAll('_', '-')}`,
    title: errorCatalog[error.code].title,
    status: errorCatalog[error.code].status,
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
