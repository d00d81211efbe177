// Shared by the contract's tests: the bundled documents as the generator wrote them.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { internalSpecPath, publicSpecPath } from '../src/node.ts';

export type Json = Record<string, any>;

export const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));

export const loadPublicSpec = (): Json => JSON.parse(readFileSync(publicSpecPath, 'utf8'));
export const loadInternalSpec = (): Json => JSON.parse(readFileSync(internalSpecPath, 'utf8'));

export const HTTP_METHODS = ['get', 'put', 'post', 'patch', 'delete'] as const;

/** Every operation of `paths`, with its path and method. */
export function operationsOf(spec: Json): { path: string; method: string; operation: Json }[] {
  return Object.entries(spec.paths as Json).flatMap(([path, item]) =>
    HTTP_METHODS.filter((method) => item[method]).map((method) => ({ path, method, operation: item[method] })),
  );
}

/** Follows a local `$ref` (as the bundler leaves them: `#/components/...`); returns other nodes as they are. */
export function deref(spec: Json, node: Json): Json {
  if (typeof node?.$ref !== 'string') return node;
  return refTarget(spec, node.$ref);
}

export function refTarget(spec: Json, ref: string): Json {
  return ref
    .slice(2)
    .split('/')
    .map((key) => key.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce((node: Json, key) => node[key], spec);
}
