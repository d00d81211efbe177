// Handler types derived from the generated `operations`: a handler's params, query, body and
// response are the spec's, so a drift between them fails typecheck.

import type { InternalOperations as operations } from '@pipai/contract';
import type { RequestHandler } from 'express';

export type OperationId = keyof operations;

type ContentOf<T> = T extends { content: { 'application/json': infer Body } } ? Body : never;

export type RequestBody<Op extends OperationId> = ContentOf<NonNullable<operations[Op]['requestBody']>>;
export type PathParams<Op extends OperationId> = operations[Op]['parameters'] extends { path: infer P }
  ? NonNullable<P>
  : never;
export type QueryParams<Op extends OperationId> = operations[Op]['parameters'] extends { query?: infer Q }
  ? NonNullable<Q>
  : never;
export type ResponseBody<Op extends OperationId, Status extends keyof operations[Op]['responses']> = ContentOf<
  operations[Op]['responses'][Status]
>;

export type OperationHandler<Op extends OperationId> = RequestHandler<
  PathParams<Op> extends never ? Record<string, string> : PathParams<Op>,
  unknown,
  RequestBody<Op>,
  QueryParams<Op> extends never ? Record<string, never> : QueryParams<Op>
>;

export type OperationHandlers = { [Op in OperationId]?: OperationHandler<Op> };
