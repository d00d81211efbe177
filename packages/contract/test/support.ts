// Shared by the contract's tests: the bundled documents as the generator wrote them.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { internalSpecPath, publicSpecPath } from '../src/node.ts';
import { type Json, openApi } from '../src/openapi.ts';

export type { Json };

export const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));

export const loadPublicSpec = (): Json => JSON.parse(readFileSync(publicSpecPath, 'utf8'));
export const loadInternalSpec = (): Json => JSON.parse(readFileSync(internalSpecPath, 'utf8'));

/** Every operation of `paths`, with its path and method. */
export const operationsOf = (spec: Json) => openApi(spec).operations();

/** Follows a local `$ref` (as the bundler leaves them: `#/components/...`); returns other nodes as they are. */
export const deref = (spec: Json, node: Json): Json => openApi(spec).deref(node);

export const refTarget = (spec: Json, ref: string): Json => openApi(spec).target(ref)!;
