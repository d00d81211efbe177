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

type Success<Op extends OperationId> = ResponseBody<Op, Extract<keyof operations[Op]['responses'], 200 | 201 | 202>>;
/** What the operation answers on success (none for a 204): `res.json` of a handler accepts only this. */
export type SuccessBody<Op extends OperationId> = [Success<Op>] extends [never] ? undefined : Success<Op>;

export type OperationHandler<Op extends OperationId> = RequestHandler<
  PathParams<Op> extends never ? Record<string, string> : PathParams<Op>,
  SuccessBody<Op>,
  RequestBody<Op>,
  QueryParams<Op> extends never ? Record<string, never> : QueryParams<Op>
>;

export type OperationHandlers = { [Op in OperationId]?: OperationHandler<Op> };
