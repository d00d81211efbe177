// Checks a response against what the public spec documents for its operation: the status must be
// documented and the body must validate against that status's schema.
import { readFileSync } from 'node:fs';
import { publicSpecPath } from '@pipai/contract/node';
import { type Json, openApi } from '@pipai/contract/openapi';
import { createSpecValidator, type SchemaError, toJsonPointer } from '@pipai/contract/spec-validator';

export type { Json };
export const loadPublicSpec = (): Json => JSON.parse(readFileSync(publicSpecPath, 'utf8'));

export interface ResponseProblem {
  where: string;
  problem: string;
}

export type ResponseChecker = (
  method: string,
  url: string,
  status: number,
  contentType: string | null,
  body: unknown,
) => ResponseProblem[];

export function createResponseChecker(spec: Json = loadPublicSpec()): ResponseChecker {
  const validator = createSpecValidator(spec);
  const api = openApi(spec);
  // A referenced response keeps its pointer: the validator compiles schemas by where they are.
  const deref = (node: Json): { node: Json; pointer?: string } =>
    typeof node?.$ref === 'string' ? { node: api.deref(node), pointer: node.$ref.slice(1) } : { node };
  return (method, url, status, contentType, body) => {
    const path = new URL(url).pathname;
    const where = `${method} ${path} -> ${status}`;
    const found = api.operationFor(method, path);
    if (!found) return [{ where, problem: 'no such operation in the spec' }];
    const documented = found.operation.responses[String(status)] ?? found.operation.responses[`${String(status)[0]}XX`];
    if (!documented) return [{ where, problem: `status ${status} is not documented` }];
    const { node: response, pointer } = deref(documented);
    const mediaType = contentType?.split(';')[0]?.trim();
    if (!response.content)
      return body === undefined || body === '' ? [] : [{ where, problem: 'a body where none is documented' }];
    if (!mediaType || !response.content[mediaType])
      return [{ where, problem: `content type ${mediaType} is not documented` }];
    const schemaPointer = `${pointer ?? toJsonPointer(['paths', found.path, method.toLowerCase(), 'responses', String(status)])}${toJsonPointer(['content', mediaType, 'schema'])}`;
    return validator
      .validate(schemaPointer, body)
      .map((error: SchemaError) => ({ where, problem: `${error.instancePath || '/'} ${error.message}` }));
  };
}
