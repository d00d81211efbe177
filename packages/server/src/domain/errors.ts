// The API's errors as the domain raises them: a stable code from the spec's catalog, a human detail,
// and for INVALID_PARAMETER the offending parameters. The HTTP layer turns them into problem+json.
import type { components } from '@pipai/contract';

export type ErrorCode = components['schemas']['ErrorCode'];
export type ParameterError = components['schemas']['ParameterError'];

export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly errors: ParameterError[] | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ErrorCode, detail: string, extra: { errors?: ParameterError[]; retryAfterSeconds?: number } = {}) {
    super(detail);
    this.name = 'ApiError';
    this.code = code;
    this.errors = extra.errors;
    this.retryAfterSeconds = extra.retryAfterSeconds;
  }
}

export function invalidParameters(errors: ParameterError[]): ApiError {
  const detail = errors.map((error) => `${error.parameter}: ${error.message}`).join('; ');
  return new ApiError('INVALID_PARAMETER', detail, { errors });
}

export const invalidParameter = (parameter: string, location: ParameterError['in'], message: string) =>
  invalidParameters([{ parameter, in: location, message }]);

/** A timestamp parameter (its pattern already checked) as epoch milliseconds; 400 naming it when it is no real date. */
export function parseMoment(text: string, parameter: string, location: ParameterError['in']): number {
  const at = Date.parse(text);
  if (Number.isNaN(at)) throw invalidParameter(parameter, location, 'is not a valid date and time');
  return at;
}

export const notFound = (what: string) => new ApiError('NOT_FOUND', `No ${what} on this account.`);

/**
 * The store cannot be reached (the database is down, restarting or refusing connections). Stores
 * throw it instead of the driver's error so that callers can tell "try again soon" from a bug.
 */
export class StoreUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`the database is unavailable: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = 'StoreUnavailableError';
  }
}

/** How long clients are asked to wait while the database is unavailable. */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 5;
