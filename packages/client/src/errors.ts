// One error type for every failed call: the spec's problem details, typed.
import type { ErrorCode, Problem } from '@pipai/contract';

type ParameterError = NonNullable<Problem['errors']>[number];

export class PipAIError extends Error {
  readonly status: number;
  /** The spec's stable code; undefined only when the response was not the API's (e.g. a proxy's 502). */
  readonly code: ErrorCode | undefined;
  readonly detail: string;
  readonly requestId: string | undefined;
  readonly errors: ParameterError[];
  /** Seconds, from Retry-After, when the server sent one. */
  readonly retryAfter: number | undefined;

  constructor(status: number, problem: Partial<Problem> | undefined, retryAfter?: number) {
    const detail = problem?.detail ?? `HTTP ${status}`;
    super(problem?.code ? `${problem.code}: ${detail}` : detail);
    this.name = 'PipAIError';
    this.status = status;
    this.code = problem?.code;
    this.detail = detail;
    this.requestId = problem?.request_id;
    this.errors = problem?.errors ?? [];
    this.retryAfter = retryAfter;
  }

  /** From a failed response and its parsed body (as openapi-fetch returns them as `response` and `error`). */
  static fromProblem(response: Response, body: unknown): PipAIError {
    const problem = body && typeof body === 'object' && 'code' in body ? (body as Problem) : undefined;
    const retryAfter = Number(response.headers.get('retry-after'));
    return new PipAIError(
      response.status,
      problem,
      Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
    );
  }

  /** Reads a failed response whose body is still unread (problem+json when it is the API's). */
  static async fromResponse(response: Response): Promise<PipAIError> {
    const body: unknown = await response
      .clone()
      .json()
      .catch(() => undefined);
    return PipAIError.fromProblem(response, body);
  }

  /** Formats as the CLI prints errors: `CODE: detail (request_id)`. */
  toString(): string {
    return `${this.code ?? `HTTP_${this.status}`}: ${this.detail}${this.requestId ? ` (${this.requestId})` : ''}`;
  }
}
