// Translates what express-openapi-validator and the body reader report into the API's own errors,
// so that `errors[]` names each parameter the way the docs do: `url`, `events[2]`, `limit`.
import {
  ApiError,
  invalidParameters,
  type ParameterError,
  StoreUnavailableError,
  UNAVAILABLE_RETRY_AFTER_SECONDS,
} from '../domain/errors.ts';

interface ValidatorItem {
  path?: string;
  message?: string;
  errorCode?: string;
}

const LOCATIONS: Record<string, ParameterError['in']> = {
  body: 'body',
  query: 'query',
  params: 'path',
  path: 'path',
  headers: 'header',
};

/** `/body/events/2` -> events[2] in body; `/query/limit` -> limit in query. */
function parameterOf(path: string): { parameter: string; in: ParameterError['in'] } {
  const [where = 'body', ...segments] = path.replace(/^\./, '').split(/[/.]/).filter(Boolean);
  const location = LOCATIONS[where];
  // Anything else is the request path itself (e.g. percent-encoding that does not decode).
  if (!location) return { parameter: 'path', in: 'path' };
  const parameter = segments.reduce(
    (name, segment) => (/^\d+$/.test(segment) ? `${name}[${segment}]` : name ? `${name}.${segment}` : segment),
    '',
  );
  return { parameter: parameter || 'body', in: location };
}

// The only anyOf in request schemas is EventPattern; Ajv's per-branch messages would say nothing useful.
const ANY_OF_MESSAGE = 'must be a known event type or one of strategy.*, backtest.*, account.*, *';

// Ajv would quote the regular expression; say what it means instead.
const PATTERN_MESSAGES: Record<string, string> = {
  url: 'must start with https://',
  webhook_id: 'must be wh_ followed by 6-8 lowercase hex digits',
  delivery_id: 'must be dlv_ followed by 24 lowercase hex digits',
  event_id: 'must be evt_ followed by 24 lowercase hex digits',
  balance_low_threshold: 'must be a positive decimal string such as "250.00"',
  cursor: 'is malformed',
};

function messageOf(item: ValidatorItem, parameter: string): string {
  const message = item.message ?? 'is invalid';
  if (item.errorCode?.startsWith('anyOf.')) return ANY_OF_MESSAGE;
  if (item.errorCode?.startsWith('pattern.')) return PATTERN_MESSAGES[parameter.replace(/\[\d+\]$/, '')] ?? message;
  if (item.errorCode?.startsWith('additionalProperties.') || item.errorCode?.startsWith('unevaluatedProperties.')) {
    return 'is not a known field';
  }
  if (item.errorCode?.startsWith('required.')) return 'is required';
  if (/malformed uri/i.test(message)) return 'is not validly percent-encoded';
  return message.replace(/^(request\.)?(body|query|params|headers)(\/\S+)? /, '');
}

export function validationError(items: readonly ValidatorItem[]): ApiError {
  const byParameter = new Map<string, ParameterError>();
  for (const item of items) {
    // `if`/`then` and branch failures restate an error reported more precisely elsewhere.
    if (item.errorCode?.startsWith('if.') || item.errorCode?.startsWith('not.')) continue;
    const { parameter, in: location } = parameterOf(item.path ?? '/body');
    const key = `${location}:${parameter}`;
    const existing = byParameter.get(key);
    if (existing && !item.errorCode?.startsWith('anyOf.')) continue;
    byParameter.set(key, { parameter, in: location, message: messageOf(item, parameter) });
  }
  if (byParameter.size === 0) byParameter.set('body:body', { parameter: 'body', in: 'body', message: 'is invalid' });
  return invalidParameters([...byParameter.values()]);
}

/** Any error thrown on the way to a handler, as an ApiError; undefined for a genuine internal error. */
export function toApiError(error: unknown): ApiError | undefined {
  if (error instanceof ApiError) return error;
  if (error instanceof StoreUnavailableError) {
    return new ApiError(
      'UNAVAILABLE',
      `The service cannot reach its database right now; nothing was changed. Retry in ${UNAVAILABLE_RETRY_AFTER_SECONDS} s.`,
      { retryAfterSeconds: UNAVAILABLE_RETRY_AFTER_SECONDS },
    );
  }
  const status = (error as { status?: number }).status;
  const type = (error as { type?: string }).type;
  if (type === 'entity.too.large') {
    return invalidParameters([{ parameter: 'body', in: 'body', message: 'is larger than 64 KiB' }]);
  }
  // The body reader refuses other media types first (body.ts); this keeps the validator's own 415 the same.
  if (status === 415)
    return new ApiError(
      'UNSUPPORTED_MEDIA_TYPE',
      'The request body must be sent as Content-Type: application/json (UTF-8).',
    );
  if (status === 404 || status === 405)
    return new ApiError('NOT_FOUND', 'No such operation. See the API reference for the available ones.');
  if (status === 400) {
    const items = (error as { errors?: ValidatorItem[] }).errors;
    return validationError(items?.length ? items : [{ path: '/body', message: (error as Error).message }]);
  }
  return undefined;
}
